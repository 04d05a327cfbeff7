#!/usr/bin/env python3
"""Quick structural check of bundled question/rubric/answer files for one or more languages.

Usage: python3 scripts/check_content.py LANG [LANG...]
Reads questions/LANG.jsonl, rubrics/LANG.jsonl and examples/answers/LANG.jsonl.
The matching here approximates the Rust normaliser (NFC, casefold, ZWJ/ZWNJ and nukta removed,
chandrabindu -> anusvara, nasal+virama before same-class stop -> anusvara, native digits,
punctuation -> space, word boundaries). `kasauti validate` is the authority.
"""
import json, re, sys, unicodedata

DOMAINS = {"architecture_and_design": "arch", "arts_and_culture": "arts", "everyday_life": "life",
           "food_and_cuisine": "food", "history": "hist", "law_and_ethics": "law",
           "literature_and_linguistics": "lit", "media_and_entertainment": "media",
           "religion_and_spirituality": "rel", "sports_and_recreation": "sport"}
SCRIPTS = {"bn": "BENGALI", "en": "LATIN", "gu": "GUJARATI", "hi": "DEVANAGARI", "hi-Latn": "LATIN",
           "kn": "KANNADA", "ml": "MALAYALAM", "mr": "DEVANAGARI", "or": "ORIYA", "pa": "GURMUKHI",
           "ta": "TAMIL", "te": "TELUGU"}
SCRIPT_CODES = {"Beng": "BENGALI", "Latn": "LATIN", "Gujr": "GUJARATI", "Deva": "DEVANAGARI",
                "Knda": "KANNADA", "Mlym": "MALAYALAM", "Orya": "ORIYA", "Guru": "GURMUKHI",
                "Taml": "TAMIL", "Telu": "TELUGU"}
BLOCKS = [0x0900, 0x0980, 0x0A00, 0x0A80, 0x0B00, 0x0B80, 0x0C00, 0x0C80, 0x0D00]

def norm(s):
    s = unicodedata.normalize("NFC", s).casefold()
    s = s.replace("\u200c", "").replace("\u200d", "")
    out = []
    chars = list(unicodedata.normalize("NFD", s))
    i = 0
    while i < len(chars):
        c = chars[i]; o = ord(c)
        base = next((b for b in BLOCKS if b <= o < b + 0x80), None)
        if base is not None:
            off = o - base
            if off == 0x3C:  # nukta
                i += 1; continue
            if off == 0x01:
                c = chr(base + 0x02)
            if off >= 0x66 and off <= 0x6F:
                c = str(off - 0x66)
            if off in (0x19, 0x1E, 0x23, 0x28, 0x2E) and i + 2 < len(chars) and ord(chars[i + 1]) == base + 0x4D:
                nxt = ord(chars[i + 2]) - base
                cls = {0x19: range(0x15, 0x19), 0x1E: range(0x1A, 0x1E), 0x23: range(0x1F, 0x23),
                       0x28: range(0x24, 0x28), 0x2E: range(0x2A, 0x2E)}[off]
                if nxt in cls:
                    out.append(chr(base + 0x02)); i += 2; continue
        if unicodedata.category(c).startswith("P") or c in "।॥":
            c = " "
        out.append(c); i += 1
    s = unicodedata.normalize("NFC", "".join(out))
    return " " + " ".join(s.split()) + " "

def is_word(c):
    return unicodedata.category(c)[0] in "LMN"

def mentions(ans, phrase):
    a, p = norm(ans), norm(phrase).strip()
    if not p:
        return False
    start = 0
    while True:
        k = a.find(p, start)
        if k < 0:
            return False
        before = a[k - 1] if k > 0 else " "
        after = a[k + len(p)] if k + len(p) < len(a) else " "
        if not is_word(before) and not is_word(after):
            return True
        start = k + 1

def numbers(ans):
    a = norm(ans)
    vals = []
    for m in re.finditer(r"\d+(?:,\d+)*(?:\.\d+)?", a):
        try:
            vals.append(float(m.group(0).replace(",", "")))
        except ValueError:
            pass
    return vals

def script_share(ans, script):
    name = SCRIPT_CODES[script]
    letters = [c for c in ans if unicodedata.category(c)[0] in "LM"]
    if not letters:
        return 0.0
    return sum(1 for c in letters if unicodedata.name(c, "").startswith(name)) / len(letters)

def run_check(chk, ans):
    if "mentions" in chk:
        return any(mentions(ans, p) for p in chk["mentions"])
    if "mentions_all" in chk:
        return all(mentions(ans, p) for p in chk["mentions_all"])
    if "regex" in chk:
        return re.search(chk["regex"], norm(ans)) is not None
    if "number" in chk:
        n = chk["number"]
        v, tol = (n["value"], n.get("tolerance", 0)) if isinstance(n, dict) else (n, 0)
        return any(abs(x - v) <= tol + 1e-9 for x in numbers(ans))
    if "script" in chk:
        return script_share(ans, chk["script"]) >= chk.get("min_share", 0.5)
    if "words" in chk:
        n = len(norm(ans).split())
        return chk["words"].get("min", 0) <= n <= chk["words"].get("max", 10**9)
    if "all" in chk:
        return all(run_check(c, ans) for c in chk["all"])
    if "any" in chk:
        return any(run_check(c, ans) for c in chk["any"])
    if "not" in chk:
        return not run_check(chk["not"], ans)
    raise ValueError(f"unknown check {chk}")

def load(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append((i, json.loads(line)))
                except json.JSONDecodeError as e:
                    print(f"ERROR {path}:{i}: bad JSON: {e}"); 
    return rows

def score(rubric, ans):
    pos = sum(c["points"] for c in rubric if c["points"] > 0 and "check" in c)
    if pos == 0:
        return None
    return sum(c["points"] for c in rubric if "check" in c and run_check(c["check"], ans)) / pos

def main(langs):
    errors = 0
    for lang in langs:
        qs = load(f"questions/{lang}.jsonl"); rs = load(f"rubrics/{lang}.jsonl")
        try:
            ans = load(f"examples/answers/{lang}.jsonl")
        except FileNotFoundError:
            ans = []; print(f"note: no examples/answers/{lang}.jsonl yet")
        rub = {}
        for i, r in rs:
            rub[r["question_id"]] = r["criteria"]
        doms = {}
        neg = 0
        for i, q in qs:
            for k in ("id", "language", "domain", "prompt", "prompt_en", "ideal_answer"):
                if not q.get(k):
                    print(f"ERROR questions/{lang}.jsonl:{i}: missing {k}"); errors += 1
            if q.get("language") != lang:
                print(f"ERROR questions/{lang}.jsonl:{i}: language {q.get('language')} != {lang}"); errors += 1
            if q.get("domain") not in DOMAINS:
                print(f"ERROR questions/{lang}.jsonl:{i}: bad domain {q.get('domain')}"); errors += 1
            doms[q.get("domain")] = doms.get(q.get("domain"), 0) + 1
            sh = script_share(q["prompt"], [k for k, v in SCRIPT_CODES.items() if v == SCRIPTS[lang]][0])
            if sh < 0.5:
                print(f"ERROR questions/{lang}.jsonl:{i}: prompt is only {sh:.0%} in the {SCRIPTS[lang]} script"); errors += 1
            crit = rub.get(q["id"])
            if crit is None:
                print(f"ERROR {q['id']}: no rubric"); errors += 1; continue
            if not 4 <= len(crit) <= 10:
                print(f"ERROR {q['id']}: {len(crit)} criteria (want 4-10)"); errors += 1
            ids = [c.get("id") for c in crit]
            if len(set(ids)) != len(ids):
                print(f"ERROR {q['id']}: duplicate criterion ids"); errors += 1
            for c in crit:
                p = c.get("points")
                if not isinstance(p, int) or p == 0 or abs(p) > 10:
                    print(f"ERROR {q['id']}/{c.get('id')}: points {p} (want integer 1..10 or -1..-10)"); errors += 1
                if "check" in c:
                    try:
                        run_check(c["check"], "")
                    except Exception as e:
                        print(f"ERROR {q['id']}/{c.get('id')}: bad check: {e}"); errors += 1
            if any(c["points"] < 0 for c in crit):
                neg += 1
            if not any(c["points"] > 0 for c in crit):
                print(f"ERROR {q['id']}: no positive criterion"); errors += 1
            # The ideal answer must meet every positive check and no negative one.
            for c in crit:
                if "check" in c:
                    met = run_check(c["check"], q["ideal_answer"])
                    if c["points"] > 0 and not met:
                        print(f"WARN {q['id']}/{c['id']}: ideal answer does NOT meet positive check {json.dumps(c['check'], ensure_ascii=False)}")
                    if c["points"] < 0 and met:
                        print(f"WARN {q['id']}/{c['id']}: ideal answer TRIGGERS negative check {json.dumps(c['check'], ensure_ascii=False)}")
        missing = [d for d in DOMAINS if d not in doms]
        if missing:
            print(f"ERROR {lang}: no question in domains {missing}"); errors += 1
        qids = {q["id"] for _, q in qs}
        for i, r in rs:
            if r["question_id"] not in qids:
                print(f"ERROR rubrics/{lang}.jsonl:{i}: rubric for unknown question {r['question_id']}"); errors += 1
        by_model = {}
        for i, a in ans:
            if a.get("question_id") not in qids:
                print(f"ERROR examples/answers/{lang}.jsonl:{i}: unknown question {a.get('question_id')}"); errors += 1; continue
            by_model.setdefault(a["model"], []).append(score(rub[a["question_id"]], a["answer"]))
        print(f"{lang}: {len(qs)} questions, {neg} rubrics with a negative criterion, domains {len(doms)}/10")
        for m, s in sorted(by_model.items()):
            s2 = [x for x in s if x is not None]
            mean = sum(s2) / len(s2) if s2 else float('nan')
            print(f"  {m}: {len(s)} answers, mean rule score {mean:.3f}")
    print("errors:", errors)
    return 1 if errors else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
