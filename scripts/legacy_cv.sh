#!/usr/bin/env bash
# Cross-validate "today's model" of the ablation table: the code and recipe of commit 481c43b (before the
# project owned its model class), on the current gold set and on the same folds as scripts/cross_validate.py.
#
#   bash scripts/legacy_cv.sh --folds 5 --set epochs=8 --name legacy --output reports/ablation/cv-legacy.json
#
# The old code reads annotation files that carry their text and groups folds by document id, so the gold
# set is exported (to a temporary folder, never committed) with each document's fold group as its id:
# GroupKFold then cuts exactly the folds the current code cuts. Arguments go to the old cross_validate.py.
set -euo pipefail
COMMIT=481c43b
root=$(git rev-parse --show-toplevel)
work=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$work/legacy" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git -C "$root" worktree add --detach "$work/legacy" "$COMMIT" >/dev/null
python - "$root" > "$work/gold-inline.jsonl" <<'PY'
import json, sys
from zhaoshang_ner.documents import read_gold
for doc in read_gold(f"{sys.argv[1]}/annotations/gold.jsonl", f"{sys.argv[1]}/../shared/articles"):
    spans = [{"start": s.start, "end": s.end, "label": s.label, "text": s.text} for s in doc.entities]
    print(json.dumps({"id": doc.fold_group, "text": doc.text, "entities": spans}, ensure_ascii=False))
PY
args=()
for arg in "$@"; do  # paths given relative to the repository stay relative to it
  case "$arg" in reports/*) args+=("$root/$arg") ;; *) args+=("$arg") ;; esac
done
cd "$work/legacy"
ln -s "$root/../shared" "$work/shared"
PYTHONPATH="$work/legacy/src" python scripts/cross_validate.py --config configs/default.yaml \
    --set train_file="$work/gold-inline.jsonl" --set output_dir="$root/runs/legacy" "${args[@]}"
