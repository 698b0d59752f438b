"""Cell meetings: invitations, answers, absences, attendance, conclusions and statistics."""
