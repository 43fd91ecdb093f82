"""What kg tells people about a graph: statistics (`kg stats`) and one row per trial (`kg table`).

Table rows are read by walking the graph from each trial (`kg.similarity.walk`), so a table of the whole
registry costs each trial's own statements; the filters a user gives select the trials
(`kg.report.selection`).
"""
