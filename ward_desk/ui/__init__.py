"""The clerk's Textual desk. Imports nothing heavy at package level: start-up cost matters."""
