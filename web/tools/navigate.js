// Navigation tools: the view handles their gestures itself (it needs screen
// coordinates, not image ones), so they only name themselves.

export const hand = {
  id: 'hand',
  label: 'Hand',
  description: 'Drags the view when zoomed in. Space does the same with any tool.',
  shortcut: 'H',
  hint: 'Drag to move around the image. Hold Space to pan with any tool.',
  navigation: 'hand',
};

export const zoom = {
  id: 'zoom',
  label: 'Zoom',
  description: 'Zooms in where you click; Alt+click zooms out.',
  shortcut: 'Z',
  hint: 'Click to zoom in at that point, Alt+click to zoom out. Ctrl+wheel zooms with any tool.',
  navigation: 'zoom',
};
