"""Small reusable widgets of the desk."""
