"""The course machinery beside the pipeline: check cells (check.py), exercises released from solutions
(release.py), the autograder (grade.py; sandbox.py runs each submission in a kernel of its own) and its report
of near-identical answers (similarity.py)."""
