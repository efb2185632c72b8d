//! The trace table a replay prints: one column per thread, one row per step.
//!
//! Like the OSTEP `x86.py` simulator's output, each row is one turn: which threads could have
//! run (`ready`), who ran, and what it did. With `--predict` the values are printed as `?`.

/// One step of a replay: the thread that took the turn and what it did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The column (thread number) that took this turn.
    pub actor: usize,
    /// The threads that could have taken this turn, by number.
    pub ready: Vec<usize>,
    /// What the thread did, e.g. `load` or `print`.
    pub action: String,
    /// The value it saw or produced, if any (hidden by `--predict`).
    pub value: Option<String>,
    /// The watched values after the step (see `Run::watch`), one per watch column.
    pub watched: Vec<String>,
}

/// Renders rows as a table with a header naming each thread by number and name.
pub fn render(actors: &[String], watches: &[String], rows: &[Row], predict: bool) -> String {
    let mut header: Vec<String> = vec!["step".into(), "ready".into()];
    header.extend(
        actors
            .iter()
            .enumerate()
            .map(|(index, name)| format!("{index} {name}")),
    );
    header.extend(watches.iter().cloned());

    let mut body: Vec<Vec<String>> = Vec::with_capacity(rows.len());
    for (number, row) in rows.iter().enumerate() {
        let mut cells = vec![
            (number + 1).to_string(),
            row.ready
                .iter()
                .map(|actor| actor.to_string())
                .collect::<Vec<_>>()
                .join(""),
        ];
        for actor in 0..actors.len() {
            if actor == row.actor {
                cells.push(cell(&row.action, row.value.as_deref(), predict));
            } else {
                cells.push(String::new());
            }
        }
        for value in &row.watched {
            cells.push(if predict { "?".into() } else { value.clone() });
        }
        body.push(cells);
    }

    let columns = header.len();
    let mut widths: Vec<usize> = header.iter().map(|text| text.chars().count()).collect();
    for cells in &body {
        for (column, text) in cells.iter().enumerate() {
            widths[column] = widths[column].max(text.chars().count());
        }
    }

    let mut out = String::new();
    out.push_str(&line(&header, &widths));
    let rule: Vec<String> = (0..columns)
        .map(|column| "-".repeat(widths[column]))
        .collect();
    out.push_str(&line(&rule, &widths).replace(" | ", "-+-"));
    for cells in &body {
        out.push_str(&line(cells, &widths));
    }
    out
}

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
        out.push_str(&aligned(row.as_ref(), &widths, false));
        if number == 0 {
            let rule: Vec<String> = widths.iter().map(|&width| "-".repeat(width)).collect();
            out.push_str(&aligned(&rule, &widths, false).replace(" | ", "-+-"));
        }
    }
    out
}

/// The text of one cell: the action and its value, or `?` in place of the value.
pub fn cell(action: &str, value: Option<&str>, predict: bool) -> String {
    match value {
        Some(_) if predict => format!("{action} ?"),
        Some(value) => format!("{action} {value}"),
        None => action.to_string(),
    }
}

fn line(cells: &[String], widths: &[usize]) -> String {
    aligned(cells, widths, true)
}

/// One row of a table; the first column is right-aligned when `number_first` (step numbers).
fn aligned(cells: &[String], widths: &[usize], number_first: bool) -> String {
    let mut text = String::new();
    for (column, cell) in cells.iter().enumerate() {
        if column > 0 {
            text.push_str(" | ");
        }
        if column == 0 && number_first {
            text.push_str(&format!("{cell:>width$}", width = widths[column]));
        } else {
            text.push_str(&format!("{cell:<width$}", width = widths[column]));
        }
    }
    text.truncate(text.trim_end().len());
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<Row> {
        vec![
            Row {
                actor: 1,
                ready: vec![0, 1],
                action: "load".into(),
                value: Some("0".into()),
                watched: vec!["0".into()],
            },
            Row {
                actor: 0,
                ready: vec![0],
                action: "lock".into(),
                value: None,
                watched: vec!["1".into()],
            },
        ]
    }

    #[test]
    fn one_column_per_thread_one_row_per_step() {
        let names = vec!["even".to_string(), "odd".to_string()];
        let table = render(&names, &["counter".into()], &rows(), false);
        let expected = "\
step | ready | 0 even | 1 odd  | counter
-----+-------+--------+--------+--------
   1 | 01    |        | load 0 | 0
   2 | 0     | lock   |        | 1
";
        assert_eq!(table, expected);
    }

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

    #[test]
    fn predict_hides_values_but_not_actions() {
        let names = vec!["even".to_string(), "odd".to_string()];
        let table = render(&names, &["counter".into()], &rows(), true);
        assert!(table.contains("load ?"));
        assert!(table.contains("lock"));
        assert!(!table.contains("load 0"));
    }
}
