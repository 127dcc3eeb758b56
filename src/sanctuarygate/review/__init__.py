"""The review queue: cases the rules left to a person, and the reviewers' answers
(``review/queue.py``; the split of a review in ``review/split.py``)."""
