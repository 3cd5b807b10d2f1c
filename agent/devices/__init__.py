"""Devices behind one small interface (base.py). Real drivers: camera.py (OpenCV), card.py
(PC/SC via pyscard), printer.py (serial ESC/POS via pyserial + python-escpos); simulated.py for
demos. Driver libraries are imported only by the driver modules, when that driver is built."""
