"""The language core: pure text functions with no I/O of their own.

Public surface:

- :mod:`nlp.taxonomy` — the stable category ids and their Chinese names;
- :mod:`nlp.normalize` — one normal form for matching (NFKC, case, emoji and invisibles);
- :mod:`nlp.rules` — the keyword rules as data, loaded and validated from TOML;
- :mod:`nlp.segmenter` — the app-owned jieba tokenizer, built once by the composition root;
- :mod:`nlp.classifier` — ``classify(text, rules, tokenizer)``;
- :mod:`nlp.compounds` — the rule word inside a longer token, remembered within a budget;
- :mod:`nlp.problems` — the several problems one message names, and the words about each;
- :mod:`nlp.places` — the gazetteer: which grid a message is about, and the building/unit;
- :mod:`nlp.privacy` — masking of phones, ID numbers and rooms for group chats;
  :mod:`nlp.privacy_score` — how well it does on the labelled sets;
- :mod:`nlp.evaluation` — precision/recall/F1 of the rules against a labelled set.

Nothing here imports the rest of griddesk.
"""
