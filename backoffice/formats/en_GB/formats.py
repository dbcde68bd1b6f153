"""British English as the desk reads it: a 24-hour clock, and the zone beside every date and time.

Django's en_GB formats print "4:20 p.m."; airline staff read "16:20". Anything not set here
(input formats, first day of the week) stays Django's en_GB.
"""

DATETIME_FORMAT = "j M Y, H:i T"  # 29 Nov 2026, 16:20 CET (in the business time zone)
TIME_FORMAT = "H:i"  # 16:20
SHORT_DATETIME_FORMAT = "d/m/Y H:i"  # 29/11/2026 16:20
