//! Grades the bundled example answers against the built-in question set with the offline rule
//! judge, as `kasauti grade --answers examples/answers` does, and prints the table by language.
//!
//! `cargo run --example grade_bundled` (the run directory goes to the system's temporary folder).

use kasauti::dataset::load::load_builtin;
use kasauti::report::table::language_table;
use kasauti::run::{grade_answers, GradeJob};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let usable = load_builtin().into_dataset(false)?;
    let dir = std::env::temp_dir().join("kasauti-example-run");
    let job = GradeJob {
        answers: vec![concat!(env!("CARGO_MANIFEST_DIR"), "/examples/answers").into()],
        dir: dir.clone(),
        skipped_data: usable.skipped,
        formats: vec!["json".into(), "md".into(), "html".into()],
        // A scratch folder: whatever an earlier run left there is replaced.
        overwrite: true,
        ..GradeJob::default()
    };
    // `()` is the progress reporter that reports nothing.
    let graded = grade_answers(&usable.dataset, &job, &())?;
    print!("{}", language_table(&graded.report, false));
    println!("run directory: {}", dir.display());
    Ok(())
}
