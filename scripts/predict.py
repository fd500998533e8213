"""Batch prediction from a checkout: the same as `zhaoshang-ner-predict` (see `--help`)."""
from zhaoshang_ner.batch import main
raise SystemExit(main())
