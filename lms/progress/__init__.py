"""Taking part: enrolments, lesson progress, bookings, attendance, completions and hours."""
