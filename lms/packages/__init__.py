"""Content packages: Markdown and YAML files in, the catalogue and framework out, and back."""
