#!/usr/bin/env bash
# Cold `cargo build --bins` of the workbook against the same dependencies in an empty crate,
# one after the other on a quiet machine (the budget: at most 1.2 x).
# Usage: bash scripts/measure-build.sh .   (it clones HEAD: commit first)
#        bash scripts/measure-build.sh . --bin lesson01   (a student's first build instead)
set -euo pipefail
src=${1:-/work/main}
shift || true
what=("$@")
[ ${#what[@]} -gt 0 ] || what=(--bins)
tmp=$(mktemp -d)
git clone -q "$src" "$tmp/wb"
mkdir -p "$tmp/empty/src"
python3 - "$src/Cargo.toml" "$tmp/empty/Cargo.toml" <<'PY'
import sys, re
text = open(sys.argv[1]).read()
keep = []
section = None
for line in text.splitlines():
    m = re.match(r'^\[+([^\]]+)\]+', line)
    if m:
        section = m.group(1)
    if section in ("package", "dependencies", "dev-dependencies", "profile.dev", "profile.dev.package.\"*\"") or (section or "").startswith("profile"):
        if section == "package" and line.startswith(("autobins","autoexamples","autotests","autobenches")):
            continue
        # The tests' dev-dependency on the package itself (its `svg` feature) has no place in
        # the empty crate.
        if section == "dev-dependencies" and line.startswith("workbook"):
            continue
        keep.append(line)
open(sys.argv[2], "w").write("\n".join(keep) + "\n")
PY
echo 'fn main() {}' > "$tmp/empty/src/main.rs"
cp "$src/Cargo.lock" "$tmp/empty/"
cd "$tmp/empty"; s=$(date +%s.%N); cargo build --offline -q; e=$(date +%s.%N)
empty=$(echo "$e - $s" | bc)
cd "$tmp/wb"; s=$(date +%s.%N); cargo build "${what[@]}" --locked -q; e=$(date +%s.%N)
ours=$(echo "$e - $s" | bc)
echo "empty crate, same dependencies: ${empty} s"
echo "workbook, cargo build ${what[*]}:   ${ours} s"
echo "ratio: $(echo "scale=2; $ours / $empty" | bc)"
rm -rf "$tmp"
