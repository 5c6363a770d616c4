"""The election's boards: the county executive board, the provincial and county inspection
boards, the supervision board's representatives; members, chair, the appointing act, and
whether a board is complete enough to act."""
