'use strict';
// The demo page. Every action is a fetch() to the JSON API. The tokens travel in HttpOnly
// cookies this script never sees: signing in asks for them with "transport": "cookie". The page
// runs under Content-Security-Policy: default-src 'self', so nothing here is inline.

const $ = (id) => document.getElementById(id);

/** Thrown once the session is gone and the sign-in form is back: the action stops there. */
class SignedOut extends Error {}

let signedIn = false;
let refreshTimer = null;
let refreshing = null;

/** Calls the API; a 401 renews the access cookie once and retries, else signs out. */
async function call(method, path, body) {
  const init = { method, headers: {}, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response = await fetch(path, init);
  if (response.status === 401 && (await refresh())) {
    response = await fetch(path, init);
  }
  if (response.status === 401) {
    showSignIn(signedIn ? 'Your session has ended. Please sign in again.' : '');
    throw new SignedOut();
  }
  return response;
}

/**
 * Renews the access cookie with the refresh cookie (sent to /auth/refresh only). Calls made
 * while one renewal runs share it: a second renewal would present a rotated refresh token.
 */
function refresh() {
  if (!refreshing) {
    refreshing = fetch('/auth/refresh', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ transport: 'cookie' }),
    })
      .then(async (response) => {
        if (!response.ok) {
          return false;
        }
        scheduleRefresh((await response.json()).expires_in);
        return true;
      })
      .catch(() => false)
      .finally(() => {
        refreshing = null;
      });
  }
  return refreshing;
}

/** Renews a minute before the access cookie expires; the browser drops it then. */
function scheduleRefresh(expiresIn) {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, Math.max(5, expiresIn - 60) * 1000);
}

async function describe(response) {
  try {
    const body = await response.json();
    return body.error_description || body.error || `HTTP ${response.status}`;
  } catch (e) {
    return `HTTP ${response.status}`;
  }
}

function say(text, isError = false) {
  const message = $('message');
  message.textContent = text;
  message.className = isError ? 'error' : '';
}

function showSignIn(text) {
  signedIn = false;
  clearTimeout(refreshTimer);
  $('proposals').replaceChildren();
  $('devices').replaceChildren();
  $('loading').hidden = true;
  $('signed-in').hidden = true;
  $('sign-in').hidden = false;
  say(text);
}

function showSignedIn() {
  signedIn = true;
  $('loading').hidden = true;
  $('sign-in').hidden = true;
  $('signed-in').hidden = false;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text; // never innerHTML: titles and labels are other people's input
  }
  return node;
}

function when(iso) {
  return new Date(iso).toLocaleString();
}

function renderProposals(proposals) {
  $('no-proposals').hidden = proposals.length > 0;
  $('proposals').replaceChildren(...proposals.map((proposal) => {
    const item = element('li', 'proposal');
    item.dataset.id = proposal.id;
    item.append(element('div', 'title', proposal.title));
    const people = proposal.collaborators.length
      ? `with ${proposal.collaborators.join(', ')}` : 'no collaborators yet';
    item.append(element('div', 'meta', `by ${proposal.owner}, ${people}`));
    const form = element('form', 'invite');
    const inputId = `invite-${proposal.id}`;
    const label = element('label', '', 'Collaborator');
    label.htmlFor = inputId;
    const input = element('input');
    input.id = inputId;
    input.type = 'email';
    input.required = true;
    input.maxLength = 256;
    form.append(label, input, element('button', 'secondary', 'Invite'));
    form.addEventListener('submit', action(async (event) => {
      event.preventDefault();
      const response = await call('POST',
        `/api/proposals/${encodeURIComponent(proposal.id)}/collaborators`,
        { username: input.value });
      if (!response.ok) {
        say(await describe(response), true);
        return;
      }
      say(`Invited ${input.value} to “${proposal.title}”.`);
      await load();
    }));
    item.append(form);
    return item;
  }));
}

function renderDevices(sessions) {
  $('devices').replaceChildren(...sessions.map((session) => {
    const item = element('li', 'device');
    item.dataset.id = session.id;
    item.append(element('span', 'label', session.label || 'Unnamed device'));
    item.append(element('span', 'last-used', `last used ${when(session.last_used)}`));
    if (session.current) {
      item.append(element('span', 'this-device', 'this device'));
    }
    const revoke = element('button', '', 'Revoke');
    revoke.type = 'button';
    revoke.addEventListener('click', action(async () => {
      const response = await call('DELETE', `/auth/sessions/${encodeURIComponent(session.id)}`);
      if (response.status !== 204 && response.status !== 404) {
        say(await describe(response), true);
        return;
      }
      if (session.current) {
        showSignIn('You signed this device out.');
        return;
      }
      say('Device signed out.');
      await load();
    }));
    item.append(revoke);
    return item;
  }));
}

/** Shows the signed-in view with fresh proposals and devices, or the sign-in form. */
async function load() {
  const [proposals, devices] = await Promise.all(
    [call('GET', '/api/proposals'), call('GET', '/auth/sessions')]);
  if (!proposals.ok || !devices.ok) {
    say(await describe(proposals.ok ? devices : proposals), true);
    return;
  }
  renderProposals((await proposals.json()).proposals);
  renderDevices((await devices.json()).sessions);
  showSignedIn();
}

/** Wraps an event handler: a sign-out ends it quietly, a network failure is said. */
function action(handler) {
  return async (event) => {
    try {
      await handler(event);
    } catch (e) {
      if (!(e instanceof SignedOut)) {
        say('The server cannot be reached. Try again in a moment.', true);
      }
    }
  };
}

async function signIn(event) {
  event.preventDefault();
  const response = await fetch('/auth/login', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      username: $('email').value,
      password: $('password').value,
      transport: 'cookie',
    }),
  });
  $('password').value = '';
  if (response.ok) {
    scheduleRefresh((await response.json()).expires_in);
    say('');
    await load();
  } else if (response.status === 401) {
    say('Wrong email or password.', true);
  } else if (response.status === 429) {
    say(`Too many attempts. Try again in ${response.headers.get('Retry-After')} s.`, true);
  } else {
    say(await describe(response), true);
  }
}

async function create(event) {
  event.preventDefault();
  const title = $('title').value;
  const response = await call('POST', '/api/proposals', { title });
  if (response.status !== 201) {
    say(await describe(response), true);
    return;
  }
  $('title').value = '';
  say(`Created “${title}”.`);
  await load();
}

async function logOut(path, text) {
  const response = await call('POST', path);
  if (response.status !== 204) {
    say(await describe(response), true);
    return;
  }
  showSignIn(text);
}

$('sign-in-form').addEventListener('submit', action(signIn));
$('create-form').addEventListener('submit', action(create));
$('log-out').addEventListener('click', action(() => logOut('/auth/logout', 'Signed out.')));
$('log-out-everywhere').addEventListener('click',
  action(() => logOut('/auth/logout-all', 'Signed out on every device.')));
action(load)();
