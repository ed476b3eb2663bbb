from django.db import migrations

# The 16 US critical-infrastructure sectors (PPD-21); ISAC admins may add or rename sectors.
SECTORS = [
    ("chemical", "Chemical"),
    ("commercial-facilities", "Commercial Facilities"),
    ("communications", "Communications"),
    ("critical-manufacturing", "Critical Manufacturing"),
    ("dams", "Dams"),
    ("defense-industrial-base", "Defense Industrial Base"),
    ("emergency-services", "Emergency Services"),
    ("energy", "Energy"),
    ("financial-services", "Financial Services"),
    ("food-and-agriculture", "Food and Agriculture"),
    ("government-facilities", "Government Facilities"),
    ("healthcare-and-public-health", "Healthcare and Public Health"),
    ("information-technology", "Information Technology"),
    ("nuclear", "Nuclear Reactors, Materials, and Waste"),
    ("transportation-systems", "Transportation Systems"),
    ("water-and-wastewater-systems", "Water and Wastewater Systems"),
]


def seed(apps, schema_editor):
    Sector = apps.get_model("accounts", "Sector")
    for slug, name in SECTORS:
        Sector.objects.get_or_create(slug=slug, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
