"""The label set of the annotation contract and the BIO tag set derived from it."""

LABELS: tuple[str, ...] = (
    "PROJECT",
    "AMOUNT",
    "PARTNER_REGION",
    "HOST_REGION",
    "COMPANY",
    "ORG",
    "PERSON",
    "DATE",
    "INDUSTRY",
)


def bio_tags(labels: tuple[str, ...] | list[str] = LABELS) -> list[str]:
    """`O` first, then `B-X`, `I-X` per label: the order is the model's id order."""
    tags = ["O"]
    for label in labels:
        tags += [f"B-{label}", f"I-{label}"]
    return tags
