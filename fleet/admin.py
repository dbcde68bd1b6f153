import datetime as dt

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.main import ORDER_VAR
from django.core.exceptions import ValidationError
from django.db.models import Case, Count, F, Q, Value, When
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportMixin
from unfold.decorators import display
from unfold.widgets import UnfoldAdminSplitDateTimeWidget

from backoffice.admin_base import EstimatedCountPaginator, HistoryModelAdmin, ReadOnlyAdminMixin
from backoffice.admin_filters import AutocompleteSelectFilter, DateRangeFilter
from backoffice.uploads import UploadNotStored, UploadUnavailable, uploads_of
from fleet import jobs as fleet_jobs
from fleet import schedule, selectors, services
from fleet.exceptions import FleetError
from fleet.imports import SCHEDULE_FORMATS, ScheduleConfirmForm, ScheduleImportForm, ScheduleImportResource
from fleet.models import AircraftType, Airport, City, Flight, ScheduleLine
from fleet.timezones import format_local, format_local_time, local_to_utc, to_local


@admin.register(City)
class CityAdmin(HistoryModelAdmin):
    list_display = ["code", "name", "country", "airport_count"]
    search_fields = ["code", "name"]
    list_filter = ["country"]
    ordering = ["code"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(airport_count=Count("airports"))

    @admin.display(description=_("airports"), ordering="airport_count")
    def airport_count(self, obj):
        return obj.airport_count


class AirportAddForm(forms.ModelForm):
    """Adding an airport takes its IATA code; airportsdata supplies the rest."""

    class Meta:
        model = Airport
        fields = ["code"]

    def clean_code(self):
        code = self.cleaned_data["code"].strip().upper()
        if Airport.objects.filter(code=code).exists():
            raise ValidationError(_("Airport %(code)s already exists."), params={"code": code})
        if services.airport_reference(code) is None:
            raise ValidationError(
                _("%(code)s is not an IATA airport code known to airportsdata."), params={"code": code}
            )
        return code

    def _post_clean(self):
        # The model's other fields are filled by the service on save, not by this form.
        pass


@admin.register(Airport)
class AirportAdmin(HistoryModelAdmin):
    list_display = ["code", "name", "city", "country", "time_zone", "local_time_now"]
    list_select_related = ["city"]
    # fleet.selectors.airport_search reads the text; the fields turn on the search box and the autocomplete.
    search_fields = ["code", "name", "city__code", "city__name"]
    autocomplete_fields = ["city"]
    ordering = ["code"]

    def get_search_results(self, request, queryset, search_term):
        return selectors.airport_search(queryset, search_term), False

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = AirportAddForm
            kwargs["fields"] = ["code"]
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["code"]
        return ["code", "name", "city", "time_zone"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = services.get_or_create_airport(code=form.cleaned_data["code"], user=request.user)
        obj.pk = created.pk
        obj.__dict__.update(created.__dict__)

    @admin.display(description=_("country"), ordering="city__country")
    def country(self, obj):
        return obj.city.country

    @admin.display(description=_("local time now"))
    def local_time_now(self, obj):
        return format_local(timezone.now(), obj.time_zone)


@admin.register(AircraftType)
class AircraftTypeAdmin(HistoryModelAdmin):
    list_display = [
        "code",
        "name",
        "seats_first",
        "seats_business",
        "seats_premium_economy",
        "seats_economy",
        "total_seats",
    ]
    search_fields = ["code", "name"]
    ordering = ["code"]

    @admin.display(description=_("total seats (default capacity)"))
    def total_seats(self, obj):
        return obj.total_seats


class LocalDateTimeField(forms.SplitDateTimeField):
    """A wall-clock date and time, kept naive: the airport's zone gives it meaning."""

    def compress(self, data_list):
        if data_list:
            if data_list[0] in self.empty_values or data_list[1] in self.empty_values:
                raise ValidationError(_("Enter a date and a time."), code="incomplete")
            return dt.datetime.combine(data_list[0], data_list[1])
        return None


class FlightForm(forms.ModelForm):
    departure_local = LocalDateTimeField(
        label=_("Departure (origin local time)"), widget=UnfoldAdminSplitDateTimeWidget
    )
    arrival_local = LocalDateTimeField(
        label=_("Arrival (destination local time)"), widget=UnfoldAdminSplitDateTimeWidget
    )

    class Meta:
        model = Flight
        fields = [
            "carrier",
            "number",
            "suffix",
            "leg_number",
            "flight_date",
            "origin",
            "destination",
            "aircraft_type",
            "capacity",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "flight_date" in self.fields:
            self.fields["flight_date"].required = False
            self.fields["flight_date"].help_text = _(
                "Local departure date of the first leg. Leave empty on leg 1: it is the departure date."
            )
        if "capacity" in self.fields:
            self.fields["capacity"].required = False
            self.fields["capacity"].help_text = _("Leave empty to use the aircraft type's seats.")
        flight = self.instance
        if flight.pk:
            self.initial["departure_local"] = to_local(flight.scheduled_departure, flight.origin.zone).replace(
                tzinfo=None
            )
            self.initial["arrival_local"] = to_local(flight.scheduled_arrival, flight.destination.zone).replace(
                tzinfo=None
            )

    def clean(self):
        cleaned = super().clean()
        origin, destination = cleaned.get("origin"), cleaned.get("destination")
        departure, arrival = cleaned.get("departure_local"), cleaned.get("arrival_local")
        for name, value in (("departure_local", departure), ("arrival_local", arrival)):
            if value is not None and not 2000 <= value.year <= 2099:
                self.add_error(name, _("Enter a date between 2000 and 2099."))
                cleaned[name] = None
        departure, arrival = cleaned.get("departure_local"), cleaned.get("arrival_local")
        if origin and destination and origin == destination:
            self.add_error("destination", _("The destination must differ from the origin."))
        if origin and departure:
            self.instance.scheduled_departure = local_to_utc(departure.date(), departure.time(), origin.time_zone)
            if not cleaned.get("flight_date"):
                if cleaned.get("leg_number", 1) != 1:
                    self.add_error("flight_date", _("Give the flight date (first leg's departure date)."))
                else:
                    cleaned["flight_date"] = departure.date()
                    self.instance.flight_date = departure.date()
            elif cleaned.get("leg_number") == 1 and cleaned["flight_date"] != departure.date():
                self.add_error(
                    "flight_date",
                    ValidationError(
                        _("On leg 1 the flight date is the local departure date, %(date)s."),
                        params={"date": departure.date().isoformat()},
                    ),
                )
        if destination and arrival:
            self.instance.scheduled_arrival = local_to_utc(arrival.date(), arrival.time(), destination.time_zone)
        if (
            origin
            and destination
            and departure
            and arrival
            and self.instance.scheduled_arrival <= self.instance.scheduled_departure
        ):
            self.add_error("arrival_local", _("The arrival must come after the departure."))
        aircraft_type = cleaned.get("aircraft_type")
        if cleaned.get("capacity") is None and aircraft_type:
            cleaned["capacity"] = aircraft_type.total_seats
            self.instance.capacity = aircraft_type.total_seats
        # Whether the capacity still holds the seats sold is the service's to say, under the row lock.
        return cleaned


class SeatsSoldFilter(admin.SimpleListFilter):
    """Flights more than so many per cent sold: the home page's "over 90 % full" opens the list this way."""

    title = _("seats sold")
    parameter_name = "fuller_than"
    thresholds = (90, 75, 50)

    def lookups(self, request, model_admin):
        return [(str(p), _("over %(percent)s %%") % {"percent": p}) for p in self.thresholds]

    def queryset(self, request, queryset):
        if self.value() in {str(p) for p in self.thresholds}:
            return selectors.fuller_than(queryset, int(self.value()))
        return queryset


class UpcomingFirstPaginator(EstimatedCountPaginator):
    """The flight list in its default order (FlightAdmin.get_ordering) without sorting every flight.

    No index serves "upcoming soonest first, then past latest first" (the split moves every day): the
    page's keys are read from the departure index in two ranges, the upcoming flights forward and then
    the past ones backward, and only those rows are read with everything they show, in the list's order.
    One query more than a plain page (two when the page starts past the upcoming flights: their count).
    """

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def page(self, number):
        rows = self.object_list
        number = self.validate_number(number)
        start = (number - 1) * self.per_page
        stop = start + self.per_page
        if stop + self.orphans >= self.count:
            stop = self.count
        keys = list(
            rows.filter(scheduled_departure__gte=self.today)
            .order_by("scheduled_departure", "-pk")
            .values_list("pk", flat=True)[start:stop]
        )
        if len(keys) < stop - start:
            upcoming = start + len(keys) if keys else rows.filter(scheduled_departure__gte=self.today).count()
            past_start = start + len(keys) - upcoming
            keys += (
                rows.filter(scheduled_departure__lt=self.today)
                .order_by("-scheduled_departure", "-pk")
                .values_list("pk", flat=True)[past_start : past_start + stop - start - len(keys)]
            )
        return self._get_page(rows.filter(pk__in=keys), number, self)


@admin.register(Flight)
class FlightAdmin(HistoryModelAdmin):
    form = FlightForm
    list_display = [
        "designator_display",
        "flight_date",
        "leg_number",
        "route",
        "departure_local_display",
        "arrival_local_display",
        "aircraft",
        "capacity",
        "seats_sold",
        "load_factor",
        "status_display",
    ]
    list_select_related = ["origin", "destination", "aircraft_type"]
    list_filter = [
        "status",
        ("scheduled_departure", DateRangeFilter),
        SeatsSoldFilter,
        ("origin", AutocompleteSelectFilter),
        ("destination", AutocompleteSelectFilter),
    ]
    list_filter_submit = True
    # fleet.selectors.flight_search reads the text; the fields only turn on the search box.
    search_fields = ["origin__code", "destination__code"]
    search_help_text = _(
        "A flight number (1021, XB 1021, XB1021A), a route (CDG-LHR, PAR LON) or an airport or city code."
    )
    autocomplete_fields = ["origin", "destination", "aircraft_type"]
    # Status moves only through "Cancel flight" (refunds) and the departure page (sales: flown tickets).
    # Those, the fare buckets and the manifests are added by sales and refunds (their flight_admin.py).
    readonly_fields = ["status", "seats_sold", "departure_utc", "arrival_utc"]
    ordering = ["scheduled_departure"]
    list_per_page = 50
    list_max_show_all = 1000
    fieldsets = [
        (_("Flight"), {"fields": ["carrier", "number", "suffix", "leg_number", "flight_date", "status"]}),
        (_("Route and times"), {"fields": ["origin", "departure_local", "destination", "arrival_local"]}),
        (_("Aircraft and seats"), {"fields": ["aircraft_type", "capacity", "seats_sold"]}),
        (_("UTC"), {"fields": ["departure_utc", "arrival_utc"], "classes": ["collapse"]}),
    ]

    def has_change_permission(self, request, obj=None):
        if obj is not None and not services.can_change_flight(obj):
            return False
        return super().has_change_permission(request, obj)

    def get_flight_or_404(self, request, object_id):
        """The flight of an action's URL (the apps above add actions here: sales, refunds)."""
        flight = self.get_object(request, object_id)  # None for a mistyped id, not an error
        if flight is None:
            raise Http404("No such flight.")
        return flight

    def get_rangefilter_scheduled_departure_title(self, request, field_path):
        return _("departure day (%(zone)s)") % {"zone": settings.BUSINESS_TIME_ZONE}

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("carrier", settings.AIRLINE_CODE)
        return initial

    def get_search_results(self, request, queryset, search_term):
        return selectors.flight_search(queryset, search_term), False

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        if ORDER_VAR in request.GET:
            return super().get_paginator(request, queryset, per_page, orphans, allow_empty_first_page)
        return UpcomingFirstPaginator(queryset, per_page, orphans, allow_empty_first_page, today=self._today())

    def _today(self):
        return dt.datetime.combine(timezone.localdate(), dt.time.min, tzinfo=timezone.get_default_timezone())

    def get_ordering(self, request):
        """Today's and later departures first, soonest first; then the past, most recent first.

        Whoever opens the list or searches a flight number wants the next flights, not the first
        ones ever flown; a column header still sorts by that column.
        """
        upcoming = Q(scheduled_departure__gte=self._today())
        return [
            Case(When(upcoming, then=Value(0)), default=Value(1)).asc(),
            Case(When(upcoming, then=F("scheduled_departure"))).asc(),
            F("scheduled_departure").desc(),
        ]

    def save_model(self, request, obj, form, change):
        # A refusal (capacity below the seats sold, read under the lock) comes back on the form.
        services.save_flight(flight=obj, user=request.user)

    @display(description=_("flight"), ordering="number")
    def designator_display(self, obj):
        return obj.designator

    @admin.display(description=_("route"))
    def route(self, obj):
        return f"{obj.origin.code}–{obj.destination.code}"

    @admin.display(description=_("departs (local)"), ordering="scheduled_departure")
    def departure_local_display(self, obj):
        return format_local_time(obj.scheduled_departure, obj.origin.time_zone, obj.flight_date)

    @admin.display(description=_("arrives (local)"), ordering="scheduled_arrival")
    def arrival_local_display(self, obj):
        return format_local_time(obj.scheduled_arrival, obj.destination.time_zone, obj.flight_date)

    @admin.display(description=_("type"), ordering="aircraft_type__code")
    def aircraft(self, obj):
        return obj.aircraft_type.code

    # What a read-only flight page (departed, cancelled, or a role that may only look) shows in place of the
    # form's local date and time fields.
    @admin.display(description=_("Departure (origin local time)"))
    def departure_local(self, obj):
        return format_local(obj.scheduled_departure, obj.origin.time_zone)

    @admin.display(description=_("Arrival (destination local time)"))
    def arrival_local(self, obj):
        return format_local(obj.scheduled_arrival, obj.destination.time_zone)

    history_labels = {
        "scheduled_departure": _("Departure (origin local time)"),
        "scheduled_arrival": _("Arrival (destination local time)"),
    }

    def history_value(self, record, field_name, value):
        """A retimed flight's history reads its times as the form takes them: in each airport's zone."""
        airport = {"scheduled_departure": record.origin, "scheduled_arrival": record.destination}.get(field_name)
        return format_local(value, airport.time_zone) if airport else None

    @admin.display(description=_("departure (UTC)"))
    def departure_utc(self, obj):
        return format_local(obj.scheduled_departure, "UTC") if obj.pk else "-"

    @admin.display(description=_("arrival (UTC)"))
    def arrival_utc(self, obj):
        return format_local(obj.scheduled_arrival, "UTC") if obj.pk else "-"

    @admin.display(description=_("load"))
    def load_factor(self, obj):
        if not obj.capacity:
            return "-"
        return f"{obj.seats_sold * 100 / obj.capacity:.0f} %"

    @display(
        description=_("status"),
        ordering="status",
        label={
            Flight.Status.SCHEDULED: "info",
            Flight.Status.CANCELLED: "danger",
            Flight.Status.DEPARTED: "success",
        },
    )
    def status_display(self, obj):
        return obj.status, obj.get_status_display()


UPLOAD_NOT_STORED = _(
    "The server could not store this upload (its disk may be full): nothing was imported. "
    "Try again later, or tell the administrator."
)


@admin.register(ScheduleLine)
class ScheduleLineAdmin(ReadOnlyAdminMixin, ImportMixin, HistoryModelAdmin):
    """The published schedule. Lines come from imports (CSV, XLSX or SSIM), which also create the flights."""

    import_form_class = ScheduleImportForm
    confirm_form_class = ScheduleConfirmForm
    formats = SCHEDULE_FORMATS
    resource_classes = [ScheduleImportResource]
    import_template_name = "fleet/admin/schedule_import.html"
    list_display = [
        "designator",
        "leg_number",
        "route",
        "departure_time",
        "arrival_time",
        "days_of_operation",
        "valid_from",
        "valid_to",
        "aircraft_type",
        "capacity",
    ]
    list_select_related = ["origin", "destination", "aircraft_type"]
    list_filter = [("valid_from", DateRangeFilter)]
    list_filter_submit = True
    search_fields = ["=number", "origin__code", "destination__code"]
    ordering = ["carrier", "number", "suffix", "valid_from", "leg_number"]

    def has_import_permission(self, request):
        return request.user.has_perm("fleet.add_scheduleline")

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["create_aircraft_types"] = True  # the preview lists them; unticking refuses the import
        return initial

    def get_import_data_kwargs(self, **kwargs):
        form = kwargs.pop("form", None)
        request = kwargs["request"]
        may_create = request.user.has_perm("fleet.add_aircrafttype")
        if isinstance(form, ScheduleConfirmForm):
            kwargs["create_aircraft_types"] = may_create and form.cleaned_data.get("create_aircraft_types", False)
        else:
            # The preview shows the import as it would be with the types created, and lists them.
            kwargs["create_aircraft_types"] = may_create
        return kwargs

    def import_action(self, request, **kwargs):
        if request.method == "POST" and self.has_import_permission(request):
            background = self.import_in_background(request)
            if background is not None:
                return background
        # The upload is kept under a name signed for this user (backoffice/uploads.py).
        try:
            with uploads_of(request.user):
                return super().import_action(request, **kwargs)
        except UploadNotStored:
            messages.error(request, UPLOAD_NOT_STORED)
            return redirect("admin:fleet_scheduleline_import")

    def import_in_background(self, request):
        """A schedule with more lines than can be previewed while one waits (SCHEDULE_UPLOAD_MAX_LINES) is
        imported by a job, all or nothing (fleet/jobs.py); the Admin lands on its page. None: the upload
        goes the usual way (preview, confirm), which also says what is wrong with a file."""
        form = self.create_import_form(request)
        if not form.is_valid():
            return None
        upload = form.cleaned_data["import_file"]
        data = upload.read()
        upload.seek(0)
        try:
            parsed = schedule.read_file(data, name=upload.name)
        except Exception:  # noqa: BLE001 - a file that cannot be read: the usual way says what is wrong with it
            return None
        if len(parsed.lines) + len(parsed.errors) <= settings.SCHEDULE_UPLOAD_MAX_LINES:
            return None
        try:
            job, _started = fleet_jobs.start_import(
                data=data,
                name=upload.name,
                user=request.user,
                create_aircraft_types=request.user.has_perm("fleet.add_aircrafttype"),
            )
        except OSError:
            messages.error(request, UPLOAD_NOT_STORED)
            return redirect("admin:fleet_scheduleline_import")
        return redirect("admin:backoffice_job_change", job.pk)

    def process_import(self, request, **kwargs):
        # A second click on "Confirm" finds no uploaded file, and a name that is not this user's
        # upload finds none either: say so.
        def an_index(value, among):
            return value.isascii() and value.isdigit() and int(value) < len(among)

        typed_in = not an_index(request.POST.get("format", ""), self.get_import_formats())
        # The import among ours (there is one): import-export picks it by this index, unchecked.
        resource = request.POST.get("resource", "")
        typed_in = typed_in or not (resource == "" or an_index(resource, self.get_import_resource_classes(request)))
        if request.method == "POST" and self.has_import_permission(request):
            # A hidden field sent back empty or mangled would come back as an error on no field the page draws.
            typed_in = typed_in or not self.create_confirm_form(request).is_valid()
        if request.method == "POST" and self.has_import_permission(request) and typed_in:
            # The page sends back the format the preview read from the file and the upload's names; any other
            # value was typed in.
            messages.error(request, _("This confirmation does not match an upload. Upload the file again."))
            return redirect("admin:fleet_scheduleline_import")
        try:
            with uploads_of(request.user):
                return super().process_import(request, **kwargs)
        except UploadUnavailable:
            messages.error(request, _("This upload is no longer available (already imported?). Upload the file again."))
            return redirect("admin:fleet_scheduleline_import")

    def add_success_message(self, result, request):
        summary = getattr(result, "schedule_summary", None)
        if summary is not None and summary.written:
            done = _(
                "Schedule imported: %(created)s flights created, %(updated)s updated, %(cancelled)s cancelled, "
                "%(unchanged)s unchanged."
            ) % {
                "created": summary.flights_created,
                "updated": summary.flights_updated,
                "cancelled": summary.flights_cancelled,
                "unchanged": summary.flights_unchanged,
            }
            if summary.creates_aircraft_types and summary.new_aircraft_types:
                done += " " + _("%(count)s aircraft types created: %(codes)s.") % {
                    "count": len(summary.new_aircraft_types),
                    "codes": ", ".join(t.code for t in summary.new_aircraft_types),
                }
            messages.success(request, done)
        else:
            for failure in result.base_errors:
                # import-export keeps what the import raised: a rule's refusal is said in its own words;
                # anything else is a fault of ours and is raised as one, not reported as a refusal.
                if not isinstance(failure.error, FleetError):
                    raise failure.error
            refused = summary.refused if summary else [failure.error for failure in result.base_errors]
            reasons = "; ".join(str(e) for e in refused[:5]) or _("see the preview")
            messages.error(request, _("Nothing was imported: %(reasons)s") % {"reasons": reasons})

    def add_data_read_fail_error_to_form(self, form, e):
        # Say what is wrong with the file, not just which exception was raised.
        if isinstance(e, FleetError):
            form.add_error("import_file", str(e))
        else:
            # A damaged file (a spreadsheet whose XML is broken, a zip that is not one): say so in words.
            form.add_error(
                "import_file",
                _(
                    "This file cannot be read: it is damaged, or not the kind of file its name says "
                    "(.xlsx, .csv or .ssim). Save it again from the spreadsheet program, or export it as CSV."
                ),
            )

    @admin.display(description=_("flight"), ordering="number")
    def designator(self, obj):
        return f"{obj.carrier} {obj.number}{obj.suffix}"

    @admin.display(description=_("route"))
    def route(self, obj):
        return f"{obj.origin.code}–{obj.destination.code}"
