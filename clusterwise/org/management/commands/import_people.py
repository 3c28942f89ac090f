from clusterwise.org.imports import plan_people_import
from clusterwise.org.services import people_import_apply

from ._importing import ImportCommand


class Command(ImportCommand):
    help = (
        "Create or update people and their assignments from a CSV/XLSX file with columns name, "
        "phone (or external_id), email, languages, role, org_code, start_date, username. "
        "Any bad row stops the whole import."
    )
    noun = "people"
    plan = staticmethod(plan_people_import)
    apply = staticmethod(people_import_apply)
