from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from unfold.views import UnfoldModelAdminViewMixin

from backoffice.errors import AlreadyDone, DomainError


class AdminPageView(UnfoldModelAdminViewMixin):
    """A page of the admin that is not a model's own: the permission is checked first.

    Pages read their URL and query (the booking, the flights chosen) in setup(), which Django runs
    before dispatch() checks permission_required: a role without it got a 404 for a mistyped id and
    a 403 for a real one. Now it gets 403 whatever it asks for.
    """

    def setup(self, request, *args, **kwargs):
        self.request = request
        if not self.has_permission():
            raise PermissionDenied
        super().setup(request, *args, **kwargs)


class ConfirmedActionView(AdminPageView, TemplateView):
    """GET shows what will happen and asks to confirm; POST (with CSRF) does it and goes back.

    Subclasses give `question()`, `perform(data)` (returning the success message),
    `back_url()` (with its `back_label`), a `confirm_label`, and optionally a `form_class` with
    `initial()`. An operation found already done (`AlreadyDone`: the button pressed twice) lands on
    `already_done_url(error)` with an information message instead of an error.
    """

    template_name = "backoffice/admin/confirm.html"
    form_class = None
    back_label = _("Back")

    def initial(self):
        return {}

    def consequences(self):
        return []

    def already_done_url(self, error):
        return self.back_url()

    def get_form(self):
        if self.form_class is None:
            return None
        if self.request.method == "POST":
            return self.form_class(self.request.POST)
        return self.form_class(initial=self.initial())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            question=self.question(),
            consequences=self.consequences(),
            confirm_label=self.confirm_label,
            back_url=self.back_url(),
            back_label=self.back_label,
        )
        context.setdefault("form", self.get_form())
        return context

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if form is not None and not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        try:
            done = self.perform(form.cleaned_data if form is not None else {})
        except AlreadyDone as error:
            messages.info(request, str(error))
            return HttpResponseRedirect(self.already_done_url(error))
        except DomainError as error:
            if form is not None:
                form.add_error(error.field if error.field in form.fields else None, str(error))
                return self.render_to_response(self.get_context_data(form=form))
            messages.error(request, str(error))
        else:
            messages.success(request, done)
        return HttpResponseRedirect(self.back_url())
