#!/usr/bin/env python3
"""The User's screen for bench/lab/desktop (issue 13 point 5): a 1280x800
Tk window at 0,0.  --animate: 16x10 tiles of 80x80 change colour every
frame (about 60 Hz) and a frame counter moves: the whole screen changes.
Otherwise static; each key press flips a 160x160 square in the top left
corner between two colours (the pixel change key->pixel latency waits for).
"""
import sys
import tkinter

W, H, T = 1280, 800, 80
animate = "--animate" in sys.argv
root = tkinter.Tk()
root.geometry(f"{W}x{H}+0+0")
root.overrideredirect(True)
c = tkinter.Canvas(root, width=W, height=H, highlightthickness=0, bg="navy")
c.pack()
tiles = [c.create_rectangle(x, y, x + T, y + T, width=0, fill="navy")
         for y in range(0, H, T) for x in range(0, W, T)]
label = c.create_text(640, 400, text="", fill="white", font=("DejaVu Sans", 40))
square = c.create_rectangle(0, 0, 160, 160, width=0, fill="gold")
frame = 0
on = False


def step():
    global frame
    frame += 1
    for i, t in enumerate(tiles):
        v = (i * 37 + frame * 11) % 256
        c.itemconfigure(t, fill=f"#{v:02x}{(v * 3) % 256:02x}{255 - v:02x}")
    c.itemconfigure(label, text=f"frame {frame}")
    c.coords(label, 100 + (frame * 7) % 1080, 400)
    root.after(16, step)


def key(_event):
    global on
    on = not on
    c.itemconfigure(square, fill="crimson" if on else "gold")


root.bind_all("<Key>", key)
if animate:
    root.after(16, step)
root.focus_force()
root.mainloop()
