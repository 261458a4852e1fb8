"""Kraj notices (oznámení kraje): a kraj official's message to the providers of its frameworks."""
