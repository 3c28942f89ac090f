from clusterwise.org.imports import plan_org_import
from clusterwise.org.services import org_import_apply

from ._importing import ImportCommand


class Command(ImportCommand):
    help = (
        "Create or update org units and schools from a CSV/XLSX file with columns code, name, "
        "level, parent_code and, for schools, management, area, tribal_area, languages, "
        "latitude, longitude. Any bad row stops the whole import."
    )
    noun = "org units"
    plan = staticmethod(plan_org_import)
    apply = staticmethod(org_import_apply)
