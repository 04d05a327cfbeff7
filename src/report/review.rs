//! report.html's review mode (SPEC §4f): the reviewer panel drawn into the page, and the
//! answers of a labelling file (`kasauti report --review FILE`) embedded for review.
//!
//! The page keeps a reviewer's name and labels in the browser (local storage, which pages opened
//! from a file may use too), and builds the labels file in the page itself: nothing is sent
//! anywhere. The behaviour lives in [`super::review_assets`].

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::dataset::labelling::LabellingLine;
use crate::dataset::Dataset;

/// The reviewer panel: name, review mode, counts, download and the text of the labels.
/// `listed` is the number of answers a labelling file put up for review.
pub(super) fn panel(h: &mut String, listed: usize) {
    h.push_str("<div id=\"review\" class=\"review-panel\" role=\"region\" aria-labelledby=\"review-title\">\n");
    h.push_str("<h3 id=\"review-title\">Review: label answers yourself</h3>\n");
    h.push_str(
        "<p class=\"muted\">Open an answer, mark each criterion met or not met (the judge's verdict \
         is filled in to start from), and save. Labels stay in this browser until you download them \
         as a JSONL file for <code>kasauti calibrate --labels</code> or <code>kasauti report --labels</code>; \
         nothing is sent anywhere.</p>\n",
    );
    h.push_str(
        "<div class=\"filters\"><label>your name <input id=\"rv-name\" type=\"text\" autocomplete=\"name\" \
         maxlength=\"200\" placeholder=\"as it goes into the labels\"></label> \
         <label><input id=\"rv-mode\" type=\"checkbox\"> review mode (label answers in the questions below)</label></div>\n",
    );
    h.push_str(
        "<div class=\"filters\"><button type=\"button\" id=\"rv-download\">Download my labels (JSONL)</button> \
         <button type=\"button\" id=\"rv-show\">Show them as text</button> \
         <button type=\"button\" id=\"rv-clear\">Forget my labels on this page</button> \
         <span id=\"rv-count\" class=\"muted\"></span></div>\n",
    );
    h.push_str(
        "<p id=\"rv-status\" class=\"rv-status\" role=\"status\" aria-live=\"polite\"></p>\n",
    );
    h.push_str("<pre id=\"rv-jsonl\" class=\"rv-out\" tabindex=\"0\" hidden></pre>\n");
    if listed > 0 {
        let _ = writeln!(
            h,
            "<h3 id=\"rv-list-title\">Answers to review ({listed})</h3>\n<div id=\"rv-list\"></div>"
        );
    }
    h.push_str("</div>\n");
}

/// The answers of a labelling file for the page's data: per line the question's position, the
/// model, sample and answer text, the run's verdicts and what to pre-fill (the file's labels
/// where it has them, else the run's verdicts). Lines whose question is not in `ds` were
/// refused when the file was read; any left are skipped.
pub(super) fn items(ds: &Dataset, review: &[LabellingLine]) -> Value {
    let list: Vec<Value> = review
        .iter()
        .filter_map(|l| {
            let qi = ds.position(&l.question_id)?;
            let judge: Vec<Option<bool>> = l.judge.iter().map(|(_, v)| *v).collect();
            let prefill: Vec<Option<bool>> = l
                .criteria
                .iter()
                .zip(&l.judge)
                .map(|((_, c), (_, j))| c.or(*j))
                .collect();
            Some(json!({
                "q": qi,
                "m": l.model,
                "s": l.sample,
                "t": l.answer,
                "j": judge,
                "p": prefill,
            }))
        })
        .collect();
    Value::Array(list)
}
