//! The drill-down of `report.html`: every question as a collapsed row, with its prompt, answers
//! and verdicts embedded once as JSON for the page's script to render on demand.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use serde_json::{json, Value};

use super::html::{color, domain_label, esc, script_json};
use super::{pct, Details, ReportInput};
use crate::dataset::language::language_label as lang_label;
use crate::dataset::Prompt;

/// A prompt as JSON: its text, or its messages as `[role, content]` pairs.
fn prompt_json(p: &Prompt) -> Value {
    match p {
        Prompt::Text(t) => json!(t),
        Prompt::Messages(m) => json!(m
            .iter()
            .map(|m| json!([m.role, m.content]))
            .collect::<Vec<_>>()),
    }
}

/// `s` on one line, cut to `max` characters with an ellipsis.
fn snippet(s: &str, max: usize) -> String {
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let mut t: String = flat.chars().take(max).collect();
        t.push('…');
        t
    }
}

/// The questions section: one collapsed row per question, its material embedded once as JSON
/// and rendered by the page's script only while the row is open.
pub(super) fn drill_down(
    h: &mut String,
    input: &ReportInput<'_>,
    details: &Details,
    models: &[&String],
    langs: &[String],
    domains: &[String],
) {
    let ds = input.dataset;
    let model_index: HashMap<&str, usize> = models
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_str(), i))
        .collect();
    // Answers per question, in model then sample order.
    let mut per_question: HashMap<&str, Vec<&super::AnswerDetail>> = HashMap::new();
    for a in &details.answers {
        per_question
            .entry(a.question_id.as_str())
            .or_default()
            .push(a);
    }
    for list in per_question.values_mut() {
        list.sort_by(|a, b| a.model.cmp(&b.model).then(a.sample.cmp(&b.sample)));
    }
    let mut questions = Vec::with_capacity(ds.len());
    h.push_str("<section id=\"questions\"><h2>Questions</h2>\n");
    if input.details.is_none() {
        h.push_str("<p class=\"muted\">Per-answer details were not available when this report was made.</p>\n");
    } else if let Some(note) = &details.texts_note {
        let _ = writeln!(h, "<p class=\"muted\">{}</p>", esc(note));
    }
    let review = input.review.unwrap_or(&[]);
    super::review::panel(h, review.len());
    h.push_str("<div class=\"filters\"><label>language <select id=\"f-lang\"><option value=\"\">all</option>");
    for l in langs {
        let _ = write!(
            h,
            "<option value=\"{}\">{}</option>",
            esc(l),
            esc(&lang_label(l))
        );
    }
    h.push_str(
        "</select></label> <label>domain <select id=\"f-domain\"><option value=\"\">all</option>",
    );
    for d in domains {
        let _ = write!(
            h,
            "<option value=\"{}\">{}</option>",
            esc(d),
            esc(&domain_label(d))
        );
    }
    h.push_str("</select></label> <label>search <input id=\"f-text\" type=\"search\" placeholder=\"id or prompt text\"></label> \
        <span id=\"f-count\" class=\"muted\"></span></div>\n");
    h.push_str("<noscript><p>Opening a question needs JavaScript; the rest of this page works without it.</p></noscript>\n");
    h.push_str("<div id=\"qlist\">\n");
    for (i, q) in ds.questions.iter().enumerate() {
        let answers = per_question.get(q.id.as_str()).cloned().unwrap_or_default();
        // Mean score per model over its samples, for the row's summary.
        let mut sums: BTreeMap<usize, (f64, usize)> = BTreeMap::new();
        let mut a_json = Vec::with_capacity(answers.len());
        for a in &answers {
            let m = model_index.get(a.model.as_str()).copied();
            let score = a.grade.as_ref().and_then(|g| g.score);
            if let (Some(m), Some(s)) = (m, score) {
                let e = sums.entry(m).or_insert((0.0, 0));
                e.0 += s;
                e.1 += 1;
            }
            let verdicts: Option<Vec<Value>> = a.grade.as_ref().map(|g| {
                g.criteria
                    .iter()
                    .map(|c| json!([c.met, c.source.as_string(), c.explanation, c.error]))
                    .collect()
            });
            a_json.push(json!({
                "m": m.map(|m| json!(m)).unwrap_or_else(|| json!(a.model)),
                "s": a.sample,
                "t": a.text,
                "e": a.error,
                "sc": score,
                "pe": a.grade.as_ref().map(|g| g.points_earned),
                "pp": a.grade.as_ref().map(|g| g.points_possible),
                "v": verdicts,
            }));
        }
        questions.push(json!({
            "id": q.id,
            "lang": q.language,
            "domain": q.domain,
            "prompt": prompt_json(&q.prompt),
            "en": q.prompt_en,
            "ideal": q.ideal_answer,
            "c": q.rubric.iter().map(|c| json!([c.id, c.text, c.points])).collect::<Vec<_>>(),
            "a": a_json,
        }));
        let _ = write!(
            h,
            "<details class=\"q\" id=\"q{i}\" data-i=\"{i}\" data-language=\"{}\" data-domain=\"{}\"><summary>\
             <code>{}</code> <span class=\"tag\">{}</span> <span class=\"tag\">{}</span> <span class=\"snip\" lang=\"{}\">{}</span> <span class=\"scores\">",
            esc(&q.language),
            esc(&q.domain),
            esc(&q.id),
            esc(&lang_label(&q.language)),
            esc(&domain_label(&q.domain)),
            esc(&q.language),
            esc(&snippet(&q.prompt.text(), 80))
        );
        for (mi, m) in models.iter().enumerate() {
            match sums.get(&mi) {
                Some((s, n)) => {
                    let _ = write!(
                        h,
                        "<span class=\"chip\" style=\"border-color:{}\" title=\"{}\">{}</span>",
                        color(mi),
                        esc(m),
                        pct(s / *n as f64)
                    );
                }
                None => {
                    let _ = write!(
                        h,
                        "<span class=\"chip none\" style=\"border-color:{}\" title=\"{}: no score\">—</span>",
                        color(mi),
                        esc(m)
                    );
                }
            }
        }
        h.push_str("</span></summary><div class=\"body\"></div></details>\n");
    }
    h.push_str("</div></section>\n");
    let data = json!({
        "models": models,
        "colors": (0..models.len()).map(color).collect::<Vec<_>>(),
        "note": details.texts_note,
        "q": questions,
        "review": super::review::items(ds, review),
    });
    let _ = writeln!(
        h,
        "<script type=\"application/json\" id=\"kasauti-data\">{}</script>",
        script_json(&data)
    );
}
