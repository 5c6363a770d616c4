"""The people who serve at the stations: the register, posts per station, conflicts of
interest as rules, the optimal assignment (``amanat.lib.assign``), rosters and letters."""
