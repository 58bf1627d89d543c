"""scoring — how well they did it: indicators per unit/official/locality/period, the
criteria set, grades, violation flags, rankings, dashboards, report exports."""
