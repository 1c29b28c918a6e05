"""At-risk profiling of jobseekers (risk of long-term unemployment) and its fairness audit."""
