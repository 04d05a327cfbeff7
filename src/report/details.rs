#![warn(missing_docs)]
//! Per-answer material for formats that show single answers (the HTML drill-down): each graded
//! answer's verdicts with explanations, from `grades.jsonl`, and its text, from the run's
//! `answers.jsonl` when present (live runs), else from the answer files `run.json` lists (offline
//! runs) while they can still be read. They are read from run directories by
//! [`Details::load`], which lives with the run directory's other readers.

use crate::grade::Grade;

/// One answer as the drill-down shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerDetail {
    /// The model that answered.
    pub model: String,
    /// The question answered.
    pub question_id: String,
    /// Which sample of the question (0 for the first).
    pub sample: u32,
    /// The answer's text; `None` when the item failed or the text could not be found.
    pub text: Option<String>,
    /// Why the item failed, for items that failed before grading.
    pub error: Option<String>,
    /// The grade line, with every criterion's verdict and explanation; `None` for failed items.
    pub grade: Option<Grade>,
}

/// Every answer of one or more runs, for the drill-down.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Details {
    /// In the order the runs and their grade files list them.
    pub answers: Vec<AnswerDetail>,
    /// Why some or all answer texts are missing, when they are (shown instead of the text).
    pub texts_note: Option<String>,
}

/// The most answers the drill-down embeds. Beyond this a page would weigh hundreds of megabytes
/// and no browser would open it usefully; the statistics and `grades.jsonl` still cover all.
pub const MAX_ANSWERS: usize = 50_000;

/// The most answer text (in bytes) the drill-down embeds; texts past it are left out.
pub const MAX_TEXT_BYTES: usize = 64 << 20;
