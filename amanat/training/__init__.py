"""Training by audience: courses, sessions, attendance, assessments, certificates and the
public awareness material. Attendance is kept by national ID, so the apps above
(candidates, staffing) read completion without this app knowing them."""
