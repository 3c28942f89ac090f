"""The good-practice library: search it, read a practice, share one, say "we tried it",
recommend it to a network, and download its files (only through here, never a media URL)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from clusterwise.core.forms import StyledFormMixin
from clusterwise.core.uploads import serve
from clusterwise.org.models import Assignment, OrgUnit, User
from clusterwise.org.views import _apply_errors, require_perm

from ..models import Network, Practice, PracticeTrial
from ..selectors import networks as network_selectors
from ..selectors import practices as selectors
from ..services import practices as services

VIEW = "networks.view_networks"
PAGE_SIZE = 20
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _languages() -> list[tuple[str, str]]:
    return [(code, name) for code, name in settings.LANGUAGES]


# --- forms -------------------------------------------------------------------------------


class SearchForm(StyledFormMixin, forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        max_length=selectors.MAX_QUERY,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        help_text=gettext_lazy('Words to find; "a phrase", -not, or'),
    )
    tag = forms.CharField(label=gettext_lazy("Tag"), required=False, max_length=40)
    language = forms.ChoiceField(label=gettext_lazy("Language"), required=False)
    network = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("Any language")), *_languages()]


class PracticeForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    problem = forms.CharField(
        label=gettext_lazy("The problem it solves"), widget=forms.Textarea(attrs={"rows": 3})
    )
    what_was_done = forms.CharField(
        label=gettext_lazy("What was done"), widget=forms.Textarea(attrs={"rows": 5})
    )
    evidence = forms.CharField(
        label=gettext_lazy("Evidence it worked"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("What changed, and how you know: results, attendance, work seen"),
    )
    school = forms.ChoiceField(label=gettext_lazy("School"), required=False)
    network = forms.ChoiceField(label=gettext_lazy("Network"), required=False)
    tags = forms.CharField(
        label=gettext_lazy("Tags"),
        required=False,
        max_length=500,
        help_text=gettext_lazy("Up to 10, separated by commas: reading, attendance, grade 3"),
    )
    language = forms.ChoiceField(label=gettext_lazy("Written in"))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, *args: Any, schools: list[OrgUnit], networks: list[Network], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.schools = {str(s.pk): s for s in schools}
        self.networks = {str(n.pk): n for n in networks}
        self.fields["school"].choices = [("", "—")] + [(k, s.name) for k, s in self.schools.items()]
        self.fields["network"].choices = [("", "—")] + [
            (k, n.name) for k, n in self.networks.items()
        ]
        self.fields["language"].choices = _languages()

    def clean_tags(self) -> list[str]:
        try:
            return services.tags_normalise(self.cleaned_data["tags"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["tags"]) from None

    def places(self) -> dict[str, Any]:
        return {
            "school": self.schools.get(self.cleaned_data["school"]),
            "network": self.networks.get(self.cleaned_data["network"]),
        }


class TrialForm(StyledFormMixin, forms.Form):
    school = forms.ChoiceField(label=gettext_lazy("Your school"))
    tried_on = forms.DateField(label=gettext_lazy("When you tried it"), widget=DATE)
    outcome = forms.ChoiceField(
        label=gettext_lazy("How it went"), choices=[("", "—"), *PracticeTrial.Outcome.choices]
    )
    note = forms.CharField(
        label=gettext_lazy("What happened"),
        required=False,
        max_length=services.MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, schools: list[OrgUnit], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "tried_%s")  # ids unique beside the other forms of the page
        super().__init__(*args, **kwargs)
        self.schools = {str(s.pk): s for s in schools}
        self.fields["school"].choices = [(k, s.name) for k, s in self.schools.items()]


class RecommendForm(StyledFormMixin, forms.Form):
    network = forms.UUIDField(label=gettext_lazy("Network"), widget=forms.Select)
    note = forms.CharField(label=gettext_lazy("Why"), required=False, max_length=300)

    def __init__(self, *args: Any, networks: list[Network], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "recommend_%s")
        super().__init__(*args, **kwargs)
        self.fields["network"].widget.choices = [("", "—")] + [(n.pk, n.name) for n in networks]


class AttachForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("PDF, photo, Word, Excel, MP3 or MP4; up to 20 MB"),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(sorted(services.FILE_ENDINGS))}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "attach_%s")
        super().__init__(*args, **kwargs)


# --- pages ---------------------------------------------------------------------------------


@require_perm(VIEW)
def practice_list(request: HttpRequest) -> HttpResponse:
    """The library: search as you type, filter by tag and language; cards fit a phone."""
    user: User = request.user  # type: ignore[assignment]
    form = SearchForm(request.GET or None)
    network = None
    if form.is_valid():
        data = form.cleaned_data
        if data["network"]:
            network = network_selectors.network_get(user, data["network"])
        found = selectors.practice_search(
            user,
            data["q"],
            tags=[data["tag"]] if data["tag"] else (),
            language=data["language"] or None,
            network=network,
        )
    else:
        found = selectors.practice_search(user, "")
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "network": network}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "networks/practices/_results.html", context)
    context["popular"] = selectors.popular_tags(user)
    return render(request, "networks/practices/index.html", context)


def _detail(
    request: HttpRequest,
    practice: Practice,
    *,
    trial_form: TrialForm | None = None,
    recommend_form: RecommendForm | None = None,
    attach_form: AttachForm | None = None,
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    schools = [s for s in selectors.own_schools(user) if s.pk != practice.school_id]
    trials = list(selectors.trials_of(practice))
    if trial_form is None and schools:
        # A school that answered already sees its answer, to change it.
        ours = {s.pk for s in schools}
        mine = next((t for t in trials if t.school_id in ours), None)
        initial: dict[str, Any] = {"tried_on": timezone.localdate()}
        if mine is not None:
            initial = {
                "school": str(mine.school_id),
                "tried_on": mine.tried_on,
                "outcome": mine.outcome,
                "note": mine.note,
            }
        trial_form = TrialForm(initial=initial, schools=schools)
    if recommend_form is None:
        targets = selectors.recommend_targets(user, practice)
        if targets:
            recommend_form = RecommendForm(networks=targets)
    can_edit = selectors.may_edit(user, practice)
    if attach_form is None and can_edit:
        attach_form = AttachForm()
    return render(
        request,
        "networks/practices/practice.html",
        {
            "practice": practice,
            "trials": trials,
            "worked": sum(1 for t in trials if t.outcome == PracticeTrial.Outcome.WORKED),
            "files": list(practice.files.all()),
            "recommendations": list(selectors.recommendations_seen(user, practice)),
            "trial_form": trial_form if schools else None,
            "recommend_form": recommend_form,
            "attach_form": attach_form if can_edit else None,
            "can_edit": can_edit,
        },
    )


@require_perm(VIEW)
def practice_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    practice = selectors.practice_get(request.user, pk)  # type: ignore[arg-type]
    return _detail(request, practice)


def _home_unit(user: User) -> OrgUnit | None:
    """Where a practice comes from when the author names no school or network: their post."""
    post = (
        Assignment.objects.active()
        .filter(person__user=user)
        .select_related("org_unit")
        .order_by("org_path")
        .first()
    )
    return post.org_unit if post else None


@require_perm(VIEW)
def practice_new(request: HttpRequest) -> HttpResponse:
    """Share a practice; the form keeps everything typed when something is wrong."""
    user: User = request.user  # type: ignore[assignment]
    schools, networks = selectors.share_places(user)
    initial = {"language": (get_language() or "en").split("-")[0]}
    mine = list(selectors.own_schools(user)[:2])
    if len(mine) == 1:
        initial["school"] = str(mine[0].pk)
    form = PracticeForm(request.POST or None, initial=initial, schools=schools, networks=networks)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            practice = services.practice_create(
                title=data["title"],
                problem=data["problem"],
                what_was_done=data["what_was_done"],
                evidence=data["evidence"],
                **form.places(),
                org_unit=_home_unit(user),
                tags=data["tags"],
                language=data["language"],
                by=user,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Shared. Add files (worksheets, photos) below."))
            return redirect("networks:practice", pk=practice.pk)
    return render(request, "networks/practices/form.html", {"form": form, "practice": None})


@require_perm(VIEW)
def practice_edit(request: HttpRequest, pk: Any) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    practice = selectors.practice_get(user, pk)
    if not selectors.may_edit(user, practice):
        raise PermissionDenied
    schools, networks = selectors.share_places(user)
    # The practice's own school and network stay choosable whoever edits it.
    if practice.school and practice.school not in schools:
        schools.append(practice.school)
    if practice.network and practice.network not in networks:
        networks.append(practice.network)
    initial = {
        "title": practice.title,
        "problem": practice.problem,
        "what_was_done": practice.what_was_done,
        "evidence": practice.evidence,
        "school": str(practice.school_id or ""),
        "network": str(practice.network_id or ""),
        "tags": ", ".join(practice.tags),
        "language": practice.language,
        "version": practice.version,
    }
    form = PracticeForm(request.POST or None, initial=initial, schools=schools, networks=networks)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.practice_update(
                practice=practice,
                version=data["version"],
                title=data["title"],
                problem=data["problem"],
                what_was_done=data["what_was_done"],
                evidence=data["evidence"],
                **form.places(),
                tags=data["tags"],
                language=data["language"],
                by=user,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("networks:practice", pk=practice.pk)
    return render(request, "networks/practices/form.html", {"form": form, "practice": practice})


@require_perm(VIEW)
def practice_tried(request: HttpRequest, pk: Any) -> HttpResponse:
    """ "We tried it": a school's staff say how it went there."""
    user: User = request.user  # type: ignore[assignment]
    practice = selectors.practice_get(user, pk)
    if request.method != "POST":
        return redirect("networks:practice", pk=practice.pk)
    schools = [s for s in selectors.own_schools(user) if s.pk != practice.school_id]
    if not schools:
        raise PermissionDenied
    form = TrialForm(request.POST, schools=schools)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.practice_tried(
                practice=practice,
                school=form.schools[data["school"]],
                tried_on=data["tried_on"],
                outcome=data["outcome"],
                note=data["note"],
                by=user,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Thank you: your school's experience is recorded."))
            return redirect("networks:practice", pk=practice.pk)
    return _detail(request, practice, trial_form=form)


@require_perm(VIEW)
def practice_recommend(request: HttpRequest, pk: Any) -> HttpResponse:
    """Point a network to the practice; its people are told."""
    user: User = request.user  # type: ignore[assignment]
    practice = selectors.practice_get(user, pk)
    if request.method != "POST":
        return redirect("networks:practice", pk=practice.pk)
    targets = selectors.recommend_targets(user, practice)
    if not (selectors.may_recommend(user) or targets):
        raise PermissionDenied
    form = RecommendForm(request.POST, networks=targets)
    if form.is_valid():
        data = form.cleaned_data
        network = network_selectors.networks_for(user).filter(pk=data["network"]).first()
        try:
            if network is None:
                raise ValidationError({"network": _("Choose a network from the list.")})
            services.practice_recommend(
                practice=practice, network=network, note=data["note"], by=user
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        except PermissionDenied:
            form.add_error("network", _("You cannot recommend practice to this network."))
        else:
            messages.success(
                request,
                _("Recommended to %(network)s; its members are told.") % {"network": network},
            )
            return redirect("networks:practice", pk=practice.pk)
    return _detail(request, practice, recommend_form=form)


@require_perm(VIEW)
def practice_attach(request: HttpRequest, pk: Any) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    practice = selectors.practice_get(user, pk)
    if not selectors.may_edit(user, practice):
        raise PermissionDenied
    if request.method != "POST":
        return redirect("networks:practice", pk=practice.pk)
    form = AttachForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.practice_attach(practice=practice, file=form.cleaned_data["file"], by=user)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("File added."))
            return redirect("networks:practice", pk=practice.pk)
    return _detail(request, practice, attach_form=form)


@require_perm(VIEW)
def practice_file(request: HttpRequest, pk: Any) -> FileResponse:
    """A practice's file, for those who may read the practice (never a public URL)."""
    attachment = selectors.attachment_get(request.user, pk)  # type: ignore[arg-type]
    return serve(attachment.file, name=attachment.name, content_type=attachment.content_type)


urlpatterns = [
    path("practices/", practice_list, name="practices"),
    path("practices/new/", practice_new, name="practice_new"),
    path("practices/<uuid:pk>/", practice_detail, name="practice"),
    path("practices/<uuid:pk>/edit/", practice_edit, name="practice_edit"),
    path("practices/<uuid:pk>/tried/", practice_tried, name="practice_tried"),
    path("practices/<uuid:pk>/recommend/", practice_recommend, name="practice_recommend"),
    path("practices/<uuid:pk>/files/", practice_attach, name="practice_attach"),
    path("practices/files/<uuid:pk>/", practice_file, name="practice_file"),
]
