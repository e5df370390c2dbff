// The dashboard's Roles block: who holds each role of the open incident and for how long, a
// hand-off that is due (said in words, not only in colour), and a form to hand a role on. It
// uses dashboard.js's helpers (el, api, state, failed); dashboard.js calls renderRoles with
// each incident it loads.
'use strict';

function heldText(seconds) {
  if (seconds == null) return '';
  const m = Math.floor(seconds / 60);
  if (m < 1) return `${seconds}s`;
  if (m < 60) return `${m}m`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

function handoffText(r) {
  if (!r.handoff_due) return r.holder ? `due after ${heldText(r.limit_seconds)}` : '';
  const why = r.relief_requested ? 'relief asked' : 'past the limit';
  const next = r.next ? `next: ${r.next}` : r.rota_warning;
  return `Hand-off due (${why}); ${next}`;
}

// roles: the "roles" member of GET /v1/incidents/{id}, or null when no incident is open.
function renderRoles(roles) {
  const body = $('roles');
  const form = $('role-form');
  const block = $('roles-block');
  if (!roles) {
    block.hidden = true;
    form.hidden = true;
    body.replaceChildren();
    return;
  }
  block.hidden = false;
  body.replaceChildren(...roles.map((r) => el('tr', {
    'data-role': r.role,
    class: r.handoff_due ? 'handoff-due' : '',
  },
  el('th', { scope: 'row', text: r.role }),
  el('td', { text: r.holder || 'nobody' }),
  el('td', { class: 'num', text: heldText(r.held_seconds) }),
  el('td', { text: handoffText(r) }))));
  const select = form.role;
  const chosen = select.value;
  select.replaceChildren(...roles.map((r) => el('option', { value: r.role, text: r.role })));
  if (roles.some((r) => r.role === chosen)) select.value = chosen;
  form.hidden = false;
}

async function assignRole(ev) {
  ev.preventDefault();
  const form = ev.target;
  const status = $('role-status');
  if (state.incident == null) return;
  const body = { who: form.who.value.trim(), holder: form.holder.value.trim() };
  if (form.note.value.trim()) body.note = form.note.value.trim();
  const role = encodeURIComponent(form.role.value);
  form.querySelector('button[type=submit]').disabled = true;
  try {
    const answer = await api(`/v1/incidents/${state.incident}/roles/${role}`, { method: 'POST', body });
    status.textContent = `${form.role.value} handed to ${body.holder}.`;
    form.holder.value = '';
    form.note.value = '';
    renderRoles(answer.roles);
  } catch (err) {
    if (!failed(err)) status.textContent = `Not assigned: ${err.message}`;
  } finally {
    form.querySelector('button[type=submit]').disabled = false;
  }
}

document.addEventListener('DOMContentLoaded', () => {
  $('role-form').addEventListener('submit', assignRole);
});
