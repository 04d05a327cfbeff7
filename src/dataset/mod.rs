//! Questions, rubrics, criteria and checks: types, loaders and validation (SPEC §1–3).

pub mod answer_labels;
pub mod check;
pub mod labelling;
pub mod labels;
pub mod language;
pub mod load;
pub mod model;

pub use check::{parse_min_words, Check, DEFAULT_NEAR_WITHIN};
pub use language::{language_name, parse_language, DOMAINS, LANGUAGES};
pub use load::{load, LoadOptions, Loaded, UsableDataset};
pub use model::{Criterion, Dataset, Message, Origin, Prompt, Question, SourceFile};
