//! Plain text tables, in the style of the trace a replay prints ([`crate::run::render`]):
//! a header, a rule, every column left-aligned. For summaries such as a table of seeds or timings.

/// Renders any small table the same way as the trace: `rows[0]` is the header, a rule follows it,
/// every column left-aligned. For summaries such as a table of seeds or timings.
pub fn table<R: AsRef<[String]>>(rows: &[R]) -> String {
    let columns = rows.iter().map(|row| row.as_ref().len()).max().unwrap_or(0);
    let mut widths = vec![0; columns];
    for row in rows {
        for (column, text) in row.as_ref().iter().enumerate() {
            widths[column] = widths[column].max(text.chars().count());
        }
    }
    let mut out = String::new();
    for (number, row) in rows.iter().enumerate() {
        out.push_str(&aligned(row.as_ref(), &widths));
        if number == 0 {
            let rule: Vec<String> = widths.iter().map(|&width| "-".repeat(width)).collect();
            out.push_str(&aligned(&rule, &widths).replace(" | ", "-+-"));
        }
    }
    out
}

/// One row of a table, every cell left-aligned to its column's width.
fn aligned(cells: &[String], widths: &[usize]) -> String {
    let mut text = String::new();
    for (column, cell) in cells.iter().enumerate() {
        if column > 0 {
            text.push_str(" | ");
        }
        text.push_str(&format!("{cell:<width$}", width = widths[column]));
    }
    text.truncate(text.trim_end().len());
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_table_looks_like_the_trace() {
        let rows = [
            ["seed".to_string(), "final".to_string()],
            ["0".to_string(), "2".to_string()],
            ["10".to_string(), "4".to_string()],
        ];
        assert_eq!(
            table(&rows),
            "seed | final\n-----+------\n0    | 2\n10   | 4\n"
        );
    }
}
