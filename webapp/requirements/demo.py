"""Demo data: the requirement templates of DOMAIN.md."""
from webapp.demo import demo_loader


@demo_loader(order=5)
def load_requirement_templates():
    from webapp.requirements.services import seed_templates
    return [f"Templat syarat layanan: {seed_templates()} dibuat."]
