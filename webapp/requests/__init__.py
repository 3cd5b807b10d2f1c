"""SOP steps 1–2: the village's request letter with its resident list, and its disposition."""
