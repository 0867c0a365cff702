"""The course machinery beside the pipeline: check cells (check.py), exercises released from solutions
(release.py), the autograder (grade.py) and its report of near-identical answers (similarity.py)."""
