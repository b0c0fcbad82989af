// Builds an operation's controls from its plugin manifest's `params`, the way a
// Photoshop filter dialog is laid out from its description. One control per
// param, typed by the manifest (plugin-manifest/schema.json):
//   number  -> range slider + number field (min/max/step, unit)
//   enum    -> select
//   boolean -> checkbox
//   color   -> colour picker
//   string  -> text field (max_length)
// No image logic here: the controls only produce parameter values.

/** A manifest param id (snake_case) as the wasm API spells it (camelCase). */
export function apiName(id) {
  return id.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
}

let uid = 0;

/**
 * Fills `container` with one labelled control per param and calls
 * `onChange(values, { id, final })` when the user edits one (`final` is false
 * while a slider is being dragged). Returns a handle to read and set values.
 */
export function buildParamControls(container, params, onChange) {
  const form = document.createElement('div');
  form.className = 'params';
  const controls = new Map();
  const prefix = `p${++uid}`;

  for (const param of params ?? []) {
    const control = makeControl(param, `${prefix}-${param.id}`, (final) =>
      onChange?.(values(), { id: param.id, final }),
    );
    control.row.dataset.param = param.id;
    controls.set(param.id, control);
    form.append(control.row);
  }
  container.replaceChildren(form);

  function values() {
    const out = {};
    for (const [id, control] of controls) out[id] = control.get();
    return out;
  }

  return {
    /** Current values keyed by manifest id. */
    values,
    /** Current values keyed by wasm API name (camelCase). */
    apiValues() {
      const out = {};
      for (const [id, value] of Object.entries(values())) out[apiName(id)] = value;
      return out;
    },
    /** Sets values (manifest ids or API names); unknown keys are returned. */
    set(update) {
      const unknown = [];
      for (const [key, value] of Object.entries(update)) {
        const id = controls.has(key) ? key : [...controls.keys()].find((k) => apiName(k) === key);
        if (id === undefined) unknown.push(key);
        else controls.get(id).set(value);
      }
      return unknown;
    },
    /** Restores every default. */
    reset() {
      for (const [id, control] of controls) control.set(control.param.default);
      onChange?.(values(), { id: null, final: true });
    },
    has(key) {
      return controls.has(key) || [...controls.keys()].some((k) => apiName(k) === key);
    },
    element(id) {
      return controls.get(id)?.input ?? null;
    },
  };
}

function row(param, inputId) {
  const row = document.createElement('div');
  row.className = `param param--${param.type}`;
  const label = document.createElement('label');
  label.htmlFor = inputId;
  label.textContent = param.label;
  label.className = 'param-label';
  row.append(label);
  return row;
}

function makeControl(param, inputId, changed) {
  switch (param.type) {
    case 'number':
      return numberControl(param, inputId, changed);
    case 'enum':
      return enumControl(param, inputId, changed);
    case 'boolean':
      return booleanControl(param, inputId, changed);
    case 'color':
      return simpleControl(param, inputId, changed, 'color');
    case 'string':
      return simpleControl(param, inputId, changed, 'text');
    default:
      throw new Error(`parameter "${param.id}" has an unsupported type "${param.type}"`);
  }
}

function decimals(step) {
  const text = String(step);
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

function numberControl(param, inputId, changed) {
  const r = row(param, inputId);
  const wrap = document.createElement('div');
  wrap.className = 'param-number';
  const slider = document.createElement('input');
  slider.type = 'range';
  const field = document.createElement('input');
  field.type = 'number';
  field.id = inputId;
  field.name = param.id;
  for (const el of [slider, field]) {
    el.min = String(param.min);
    el.max = String(param.max);
    el.step = String(param.step);
  }
  slider.tabIndex = -1;
  slider.setAttribute('aria-hidden', 'true');
  const digits = decimals(param.step);
  const clamp = (v) => Math.min(param.max, Math.max(param.min, v));
  const show = (v) => {
    slider.value = String(v);
    field.value = v.toFixed(digits);
  };
  let value = param.default;
  show(value);

  slider.addEventListener('input', () => {
    value = clamp(Number(slider.value));
    field.value = value.toFixed(digits);
    changed(false);
  });
  slider.addEventListener('change', () => changed(true));
  field.addEventListener('change', () => {
    const v = Number(field.value);
    value = field.value.trim() === '' || !Number.isFinite(v) ? value : clamp(v);
    show(value);
    changed(true);
  });
  wrap.append(slider, field);
  if (param.unit) {
    const unit = document.createElement('span');
    unit.className = 'param-unit';
    unit.textContent = param.unit;
    wrap.append(unit);
  }
  r.append(wrap);
  return {
    param,
    row: r,
    input: field,
    get: () => value,
    set(v) {
      const n = Number(v);
      if (!Number.isFinite(n)) throw new Error(`${param.id}: ${v} is not a number`);
      value = clamp(n);
      show(value);
    },
  };
}

function enumControl(param, inputId, changed) {
  const r = row(param, inputId);
  const select = document.createElement('select');
  select.id = inputId;
  select.name = param.id;
  for (const { value, label } of param.values) {
    select.append(new Option(label, value));
  }
  select.value = param.default;
  select.addEventListener('change', () => changed(true));
  r.append(select);
  return {
    param,
    row: r,
    input: select,
    get: () => select.value,
    set(v) {
      if (!param.values.some((o) => o.value === v)) {
        throw new Error(`${param.id}: "${v}" is not one of ${param.values.map((o) => o.value).join(', ')}`);
      }
      select.value = v;
    },
  };
}

function booleanControl(param, inputId, changed) {
  const r = row(param, inputId);
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.id = inputId;
  box.name = param.id;
  box.checked = Boolean(param.default);
  box.addEventListener('change', () => changed(true));
  // Checkbox first, label after, as desktop tools lay them out.
  r.prepend(box);
  return {
    param,
    row: r,
    input: box,
    get: () => box.checked,
    set(v) {
      box.checked = Boolean(v);
    },
  };
}

function simpleControl(param, inputId, changed, type) {
  const r = row(param, inputId);
  const input = document.createElement('input');
  input.type = type;
  input.id = inputId;
  input.name = param.id;
  input.value = param.default;
  if (type === 'text' && param.max_length) input.maxLength = param.max_length;
  input.addEventListener('change', () => changed(true));
  r.append(input);
  return {
    param,
    row: r,
    input,
    get: () => input.value,
    set(v) {
      input.value = String(v);
    },
  };
}
