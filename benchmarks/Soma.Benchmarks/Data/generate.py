#!/usr/bin/env python3
"""Assembles conversations.json from the hand-written sources in source/*.txt (one file per persona).

Source format (see source/maya.txt):
  persona: <id>            name: <full name>            about: <one line>
  == s<n> <yyyy-mm-dd>     starts a session
  U: text / A: text        a user / assistant turn
  U @tag: text             a turn that questions cite as evidence by its tag
  U ~: text                a distractor: shares words with a question but does not answer it
  Q <kind> [temporal]: question => tag[, tag]   kind is lexical or paraphrase (the author's label)

Run: python3 generate.py (from this folder). Deterministic: the same sources give the same file.
"""
import json
import pathlib
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent
TURN = re.compile(r"^(U|A)(?:\s+(@[\w-]+|~))?:\s*(.+)$")
QUESTION = re.compile(r"^Q\s+(lexical|paraphrase)(\s+temporal)?:\s*(.+?)\s*=>\s*(.+)$")
SESSION = re.compile(r"^==\s+s(\d+)\s+(\d{4}-\d{2}-\d{2})$")

STOP = set("""a an the and or but if of to in on at by for with from about as into over after before under up down out off
i me my mine we us our you your he him his she her they them their it its this that these those there here what which who whom
whose when where why how is are was were be been being am do does did done have has had will would shall should can could may
might must not no yes so too very just also still now then than any some all each every more most much many few one two
get got go going went take took make made say said tell told ask asked again ever even only really
s t re ll ve d m don didn couldn won isn first time new want keep came need day year week help work thing things""".split())


def words(text):
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOP}


def parse(path):
    persona = {}
    sessions, questions, tags = [], [], {}
    session = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{path.name}:{number}"
        if m := re.match(r"^(persona|name|about):\s*(.+)$", line):
            persona[m[1]] = m[2]
        elif m := SESSION.match(line):
            session = {"id": f"{persona['persona']}-s{m[1]}", "persona": persona["persona"], "date": m[2], "turns": []}
            sessions.append(session)
        elif m := TURN.match(line):
            if session is None:
                sys.exit(f"{where}: a turn before any session")
            turn = {
                "id": f"{session['id']}-t{len(session['turns']) + 1:02d}",
                "speaker": "user" if m[1] == "U" else "assistant",
                "text": m[3],
            }
            if m[2] == "~":
                turn["distractor"] = True
            elif m[2]:
                tag = m[2][1:]
                if tag in tags:
                    sys.exit(f"{where}: tag @{tag} used twice")
                tags[tag] = turn
            session["turns"].append(turn)
        elif m := QUESTION.match(line):
            evidence = []
            for tag in (t.strip() for t in m[4].split(",")):
                if tag not in tags:
                    sys.exit(f"{where}: unknown evidence tag '{tag}'")
                evidence.append(tags[tag]["id"])
            questions.append({"persona": persona["persona"], "question": m[3], "evidence": evidence,
                              "author_label": m[1], "temporal": bool(m[2])})
        else:
            sys.exit(f"{where}: cannot read '{line}'")
    return {"id": persona["persona"], "name": persona["name"], "about": persona["about"]}, sessions, questions


def main():
    personas, sessions, questions = [], [], []
    for path in sorted((HERE / "source").glob("*.txt")):
        p, s, q = parse(path)
        personas.append(p)
        sessions.extend(s)
        questions.extend(q)

    text_of = {t["id"]: t["text"] for s in sessions for t in s["turns"]}
    for i, q in enumerate(questions, 1):
        q["id"] = f"q{i:03d}"
        evidence_words = set().union(*(words(text_of[e]) for e in q["evidence"]))
        # Measured, not claimed: the content words (stop words removed, no stemming) a question shares with its evidence.
        q["shared_words"] = sorted(words(q["question"]) & evidence_words)

    ordered = [{k: q[k] for k in ("id", "persona", "question", "evidence", "author_label", "temporal", "shared_words")}
               for q in questions]
    document = {
        "name": "soma-conversations",
        "version": 1,
        "description": "Long multi-session conversations between one user and an assistant, with questions whose answers sit in known turns. Written by hand for SomaAgent's recall benchmark.",
        "licence": "Same as the SomaAgent repository it ships in.",
        "personas": personas,
        "sessions": sessions,
        "questions": ordered,
    }
    out = HERE / "conversations.json"
    out.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    turns = sum(len(s["turns"]) for s in sessions)
    shared = sum(1 for q in questions if q["shared_words"])
    print(f"{len(personas)} personas, {len(sessions)} sessions, {turns} turns "
          f"({sum(1 for s in sessions for t in s['turns'] if t.get('distractor'))} distractors), {len(questions)} questions: "
          f"{sum(1 for q in questions if q['author_label'] == 'lexical')} labelled lexical, "
          f"{sum(1 for q in questions if q['temporal'])} temporal, {sum(1 for q in questions if len(q['evidence']) > 1)} multi-evidence; "
          f"{shared} share at least one content word with their evidence, {len(questions) - shared} share none")


if __name__ == "__main__":
    main()
