//! `kasauti sample`: answers of a run chosen at random within each language, written as a
//! labelling file (SPEC §4e) for people to fill in, in a text editor or in report.html's review
//! mode.
//!
//! The choice depends only on the seed, the language and the run's graded answers (not on the
//! order of `grades.jsonl`, nor on the other languages), so the same seed over the same run
//! chooses the same answers, and adding a language to a run leaves the others' choice alone.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

use super::details::{read_texts, Key};
use crate::dataset::labelling::LabellingLine;
use crate::error::{Diagnostic, Error, Result};
use crate::grade::Grade;
use crate::jsonl::{json_error, truncate, LineReader};

/// The seed used when none is given (printed, so a labelling file can be made again).
pub const DEFAULT_SEED: u64 = 4242;

/// The labelling file's name in the run directory when no `--out` is given.
pub const DEFAULT_FILE: &str = "to-label.jsonl";

/// What to sample and where to write it.
#[derive(Debug, Clone)]
pub struct SampleJob {
    /// The run directory.
    pub run: PathBuf,
    /// How many answers to choose in each language.
    pub per_language: usize,
    /// The random seed.
    pub seed: u64,
    /// The labelling file (default `<run>/to-label.jsonl`).
    pub out: Option<PathBuf>,
    /// Whether an existing file may be replaced.
    pub overwrite: bool,
}

/// How many answers one language had and how many were chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanguageCount {
    /// The language code.
    pub language: String,
    /// Graded answers with a known text.
    pub available: usize,
    /// Answers chosen (`min(per_language, available)`).
    pub chosen: usize,
}

/// The answers [`choose_answers`] picked.
#[derive(Debug, Clone)]
pub struct Chosen {
    /// One line per chosen answer, by language, then in question-set order, model and sample.
    pub lines: Vec<LabellingLine>,
    /// Per language, sorted by code.
    pub counts: Vec<LanguageCount>,
    /// Graded answers left out because their text could not be found.
    pub without_text: usize,
    /// Why texts are missing, when some are.
    pub texts_note: Option<String>,
}

/// What [`write_sample`] wrote.
#[derive(Debug, Clone)]
pub struct Sampled {
    /// The labelling file.
    pub out: PathBuf,
    /// The seed used.
    pub seed: u64,
    /// The chosen answers.
    pub chosen: Chosen,
}

/// Chooses `per_language` graded answers at random within each language of the run `dir`
/// (all of a language's answers when it has fewer) and returns them as labelling lines: the
/// answer text, every criterion null, the run's verdicts under `judge`.
pub fn choose_answers(dir: &Path, per_language: usize, seed: u64) -> Result<Chosen> {
    if per_language == 0 {
        return Err(Error::Usage(
            "--per-language must be at least 1 (answers to choose in each language)".into(),
        ));
    }
    if !dir.is_dir() {
        return Err(Error::unreadable(
            dir,
            std::io::Error::new(std::io::ErrorKind::NotFound, "not a run directory"),
        ));
    }
    let ds = super::read_dataset(dir)?;
    let grades_path = dir.join(super::GRADES);
    let (grades, mut problems) = read_grades_strict(&grades_path)?;
    let manifest = super::read_manifest(dir)?;
    let mut texts = HashMap::new();
    let mut budget = usize::MAX;
    let texts_note = read_texts(dir, &manifest, &mut texts, &mut budget).err();

    // Candidates: graded answers with a text, once each, in a canonical order.
    let mut candidates: Vec<(u32, LabellingLine)> = Vec::new();
    let mut seen: HashMap<Key, usize> = HashMap::new();
    let mut without_text = 0;
    for (line, g) in grades {
        let Some(qi) = ds.position(&g.question_id) else {
            problems.push(Diagnostic::error(
                &grades_path,
                Some(line),
                Some("question_id"),
                format!(
                    "grade for a question not in {}: `{}`",
                    super::DATASET,
                    truncate(&g.question_id, 80)
                ),
            ));
            continue;
        };
        let key: Key = (g.model.clone(), g.question_id.clone(), g.sample);
        if let Some(first) = seen.get(&key) {
            problems.push(Diagnostic::error(
                &grades_path,
                Some(line),
                Some("question_id"),
                format!(
                    "the answer of model `{}` to `{}` (sample {}) is graded twice (first on line {first})",
                    truncate(&g.model, 60),
                    truncate(&g.question_id, 60),
                    g.sample
                ),
            ));
            continue;
        }
        seen.insert(key.clone(), line);
        let Some(text) = texts.get(&key).and_then(|(t, _)| t.clone()) else {
            without_text += 1;
            continue;
        };
        let q = &ds.questions[qi as usize];
        let verdict = |id: &str| g.criteria.iter().find(|c| c.id == id).and_then(|c| c.met);
        candidates.push((
            qi,
            LabellingLine {
                question_id: g.question_id,
                model: g.model,
                sample: g.sample,
                language: q.language.clone(),
                domain: q.domain.clone(),
                answer: text,
                rater: None,
                criteria: q.rubric.iter().map(|c| (c.id.clone(), None)).collect(),
                judge: q
                    .rubric
                    .iter()
                    .map(|c| (c.id.clone(), verdict(&c.id)))
                    .collect(),
            },
        ));
    }
    if !problems.is_empty() {
        return Err(Error::Input(problems));
    }
    if candidates.is_empty() {
        let why = if without_text > 0 {
            format!(
                "none of its {without_text} graded answers has a text to label{}",
                texts_note
                    .as_ref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            )
        } else {
            "it holds no graded answer".to_string()
        };
        return Err(Error::Input(vec![Diagnostic::error(
            &grades_path,
            None,
            None,
            format!("nothing to sample: {why}"),
        )]));
    }
    candidates.sort_by(|a, b| (a.0, &a.1.model, a.1.sample).cmp(&(b.0, &b.1.model, b.1.sample)));
    let languages: Vec<&str> = candidates.iter().map(|c| c.1.language.as_str()).collect();
    let picked = choose_per_language(&languages, per_language, seed);
    let mut counts: BTreeMap<&str, LanguageCount> = BTreeMap::new();
    for l in &languages {
        counts
            .entry(l)
            .or_insert_with(|| LanguageCount {
                language: l.to_string(),
                available: 0,
                chosen: 0,
            })
            .available += 1;
    }
    for &i in &picked {
        if let Some(c) = counts.get_mut(languages[i]) {
            c.chosen += 1;
        }
    }
    let counts: Vec<LanguageCount> = counts.into_values().collect();
    let mut order: Vec<usize> = picked;
    order.sort_by(|&a, &b| languages[a].cmp(languages[b]).then(a.cmp(&b)));
    let mut slots: Vec<Option<LabellingLine>> =
        candidates.into_iter().map(|(_, l)| Some(l)).collect();
    let lines = order.into_iter().filter_map(|i| slots[i].take()).collect();
    Ok(Chosen {
        lines,
        counts,
        without_text,
        texts_note: texts_note.filter(|_| without_text > 0),
    })
}

/// Chooses and writes the labelling file atomically; an existing file is replaced only with
/// `overwrite`.
pub fn write_sample(job: &SampleJob) -> Result<Sampled> {
    let out = job
        .out
        .clone()
        .unwrap_or_else(|| job.run.join(DEFAULT_FILE));
    if !job.overwrite && std::fs::symlink_metadata(&out).is_ok() {
        return Err(Error::Usage(format!(
            "{} already exists; choose another --out, or pass --overwrite to replace it",
            out.display()
        )));
    }
    let chosen = choose_answers(&job.run, job.per_language, job.seed)?;
    let mut text = String::new();
    for l in &chosen.lines {
        text.push_str(&l.to_json_line());
        text.push('\n');
    }
    crate::util::write_atomic(&out, &text)?;
    Ok(Sampled {
        out,
        seed: job.seed,
        chosen,
    })
}

/// Picks up to `per_language` positions of each language in `languages` (one entry per
/// candidate, in a canonical order), uniformly at random without replacement, from a generator
/// seeded by `seed` and the language alone. Returns the chosen positions, in no given order.
pub fn choose_per_language(languages: &[&str], per_language: usize, seed: u64) -> Vec<usize> {
    let mut by_language: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, l) in languages.iter().enumerate() {
        by_language.entry(l).or_default().push(i);
    }
    let mut out = Vec::new();
    for (lang, mut positions) in by_language {
        let mut h = Sha256::new();
        h.update(seed.to_le_bytes());
        h.update(lang.as_bytes());
        let mut rng = ChaCha8Rng::from_seed(h.finalize().into());
        let k = per_language.min(positions.len());
        // The first k steps of a Fisher–Yates shuffle.
        for i in 0..k {
            let j = i + rng.random_range(0..positions.len() - i);
            positions.swap(i, j);
        }
        out.extend_from_slice(&positions[..k]);
    }
    out
}

/// A grade line and its 1-based line number.
type Numbered = (usize, Grade);

/// Every good line of a grade file with its line number, and a problem naming each bad line,
/// except a torn last line (a run killed mid-write, with no final newline), which is skipped as
/// `report` skips it.
fn read_grades_strict(path: &Path) -> Result<(Vec<Numbered>, Vec<Diagnostic>)> {
    if !path.is_file() {
        return Err(Error::Input(vec![Diagnostic::error(
            path,
            None,
            None,
            "no graded answers: the run directory has no grades.jsonl (grade it first, or name a run directory)",
        )]));
    }
    let complete = std::fs::read(path)
        .map_err(|e| Error::unreadable(path, e))?
        .ends_with(b"\n");
    let mut reader = LineReader::open(path)?;
    let mut batch = Vec::new();
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut pending: Option<Diagnostic> = None;
    while reader.read_batch(4096, &mut batch)? {
        for line in &batch {
            if let Some(d) = pending.take() {
                problems.push(d);
            }
            let parsed = line.text(path).and_then(|t| {
                serde_json::from_str::<Grade>(t).map_err(|e| {
                    Diagnostic::error(
                        path,
                        Some(line.number),
                        None,
                        format!("not a grade line: {}", json_error(&e)),
                    )
                })
            });
            match parsed {
                Ok(g) => out.push((line.number, g)),
                Err(d) => pending = Some(d),
            }
        }
    }
    if let Some(d) = pending {
        if complete {
            problems.push(d);
        }
    }
    Ok((out, problems))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn pool() -> Vec<&'static str> {
        // 30 Bengali, 7 Tamil, 12 Hindi candidates, interleaved.
        let mut v = Vec::new();
        for i in 0..30 {
            v.push("bn");
            if i < 7 {
                v.push("ta");
            }
            if i < 12 {
                v.push("hi");
            }
        }
        v
    }

    #[test]
    fn same_seed_same_choice_and_other_seeds_differ() {
        let langs = pool();
        let mut a = choose_per_language(&langs, 5, 7);
        let mut b = choose_per_language(&langs, 5, 7);
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b);
        let differs = (8..20).any(|s| {
            let mut c = choose_per_language(&langs, 5, s);
            c.sort_unstable();
            c != a
        });
        assert!(differs, "some other seed chooses other answers");
    }

    #[test]
    fn counts_per_language_and_all_when_too_few() {
        let langs = pool();
        let picked = choose_per_language(&langs, 10, 1);
        let distinct: HashSet<usize> = picked.iter().copied().collect();
        assert_eq!(distinct.len(), picked.len(), "no answer chosen twice");
        let count = |l: &str| picked.iter().filter(|&&i| langs[i] == l).count();
        assert_eq!(count("bn"), 10);
        assert_eq!(count("hi"), 10);
        assert_eq!(count("ta"), 7, "fewer than N: all of them");
        assert_eq!(picked.len(), 27);
    }

    #[test]
    fn a_language_choice_does_not_depend_on_the_others() {
        let langs = pool();
        let only_bn: Vec<&str> = langs.iter().copied().filter(|l| *l == "bn").collect();
        let bn_positions: Vec<usize> = (0..langs.len()).filter(|&i| langs[i] == "bn").collect();
        let mut from_all: Vec<usize> = choose_per_language(&langs, 4, 3)
            .into_iter()
            .filter(|&i| langs[i] == "bn")
            .map(|i| bn_positions.iter().position(|&p| p == i).unwrap())
            .collect();
        let mut alone = choose_per_language(&only_bn, 4, 3);
        from_all.sort_unstable();
        alone.sort_unstable();
        assert_eq!(from_all, alone);
    }

    #[test]
    fn every_answer_can_be_chosen() {
        // Over many seeds each of 6 candidates is picked roughly 2 times in 6 (k = 2).
        let langs = vec!["te"; 6];
        let mut hits = [0usize; 6];
        for s in 0..3000 {
            for i in choose_per_language(&langs, 2, s) {
                hits[i] += 1;
            }
        }
        for h in hits {
            // Expected 1000 each; a fair choice stays well within ±15%.
            assert!((850..=1150).contains(&h), "{hits:?}");
        }
    }
}
