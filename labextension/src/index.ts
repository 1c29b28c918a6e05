/**
 * The Workbench sidebar of JupyterLab: case studies with their validation status,
 * latest runs, published apps and workshops; Run, Publish, Create workshop and Open
 * dashboard; "Publish this notebook as an app" for the notebook in focus.
 *
 * It only calls the workbench REST API (`<base>/workbench/api/...`) through
 * ServerConnection, so the Jupyter server's auth (token, XSRF cookie, JupyterHub) and
 * the caller's rights apply: a refused action shows the server's message.
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { InputDialog } from '@jupyterlab/apputils';
import { URLExt } from '@jupyterlab/coreutils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ServerConnection } from '@jupyterlab/services';
import { LabIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">' +
  '<g class="jp-icon3" fill="#616161">' +
  '<path d="M3 3h8v8H3zM13 3h8v5h-8zM13 10h8v11h-8zM3 13h8v8H3z"/></g></svg>';

const workbenchIcon = new LabIcon({ name: 'almp-workbench:icon', svgstr: ICON_SVG });

interface IRun {
  id: number;
  template: string;
  status: string;
  created_at: string | null;
  finished_at: string | null;
  error: string | null;
}

interface IWorkshop {
  id: number;
  title: string;
  state: string;
  round: number;
  dashboard: string;
}

interface IJob {
  state: 'queued' | 'running' | 'done' | 'failed';
  message: string;
  started_at: string | null;
  finished_at: string | null;
}

interface ICase {
  slug: string;
  title: string;
  region: string;
  valid: boolean;
  problem: string | null;
  problems: number;
  runs: IRun[];
  app: { url: string; published_at: string | null } | null;
  workshops: IWorkshop[];
  job: IJob | null;
}

class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** Call the workbench REST API with the server's auth; errors carry its message. */
async function api<T>(path: string, method = 'GET', body?: unknown): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'workbench/api', path);
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { 'Content-Type': 'application/json' };
  }
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ApiError(0, `the server did not answer: ${error}`);
  }
  const text = await response.text();
  let data: any = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const message =
      (data && (data.error || data.message)) ||
      response.statusText ||
      `HTTP ${response.status}`;
    throw new ApiError(response.status, message);
  }
  return data as T;
}

function when(iso: string | null): string {
  if (!iso) {
    return '';
  }
  const seconds = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  if (seconds < 60) {
    return 'just now';
  }
  if (seconds < 3600) {
    return `${Math.round(seconds / 60)} min ago`;
  }
  if (seconds < 86400) {
    return `${Math.round(seconds / 3600)} h ago`;
  }
  return new Date(iso).toLocaleDateString();
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'class') {
      node.className = value;
    } else {
      node.setAttribute(key, value);
    }
  }
  node.append(...children);
  return node;
}

/** The sidebar panel. */
export class WorkbenchPanel extends Widget {
  private cases: ICase[] = [];
  private gallery = '';
  private timer: number | null = null;
  private readonly list: HTMLElement;
  private readonly status: HTMLElement;
  private readonly notebookButton: HTMLButtonElement;

  constructor(private readonly notebooks: INotebookTracker | null) {
    super();
    this.id = 'workbench-sidebar';
    this.addClass('jp-WorkbenchSidebar');
    this.title.icon = workbenchIcon;
    this.title.caption = 'Workbench';
    const refresh = el('button', { class: 'jp-WorkbenchSidebar-button', type: 'button' }, 'Refresh');
    refresh.addEventListener('click', () => void this.refresh());
    this.notebookButton = el(
      'button',
      { class: 'jp-WorkbenchSidebar-button jp-mod-accept', type: 'button' },
      'Publish this notebook as an app'
    );
    this.notebookButton.addEventListener('click', () => void this.publishNotebook());
    this.status = el('p', { class: 'jp-WorkbenchSidebar-status', role: 'status', 'aria-live': 'polite' });
    this.list = el('div', { class: 'jp-WorkbenchSidebar-cases' });
    this.node.append(
      el('h2', { class: 'jp-WorkbenchSidebar-title' }, 'Workbench'),
      el('div', { class: 'jp-WorkbenchSidebar-toolbar' }, refresh, this.notebookButton),
      this.status,
      this.list
    );
    notebooks?.currentChanged.connect(() => this.updateNotebookButton());
    this.updateNotebookButton();
  }

  /** The notebook in focus (its path in the workspace), if any. */
  private get notebookPath(): string | null {
    return this.notebooks?.currentWidget?.context.path ?? null;
  }

  private updateNotebookButton(): void {
    const path = this.notebookPath;
    this.notebookButton.disabled = path === null;
    this.notebookButton.title = path
      ? `Publish the app of the case study that ${path} belongs to`
      : 'Open a template or a run’s output notebook first';
  }

  protected onAfterShow(): void {
    void this.refresh();
  }

  protected onBeforeHide(): void {
    this.stopPolling();
  }

  private say(message: string, error = false): void {
    this.status.textContent = message;
    this.status.classList.toggle('jp-mod-error', error);
  }

  async refresh(): Promise<void> {
    try {
      const data = await api<{ cases: ICase[]; gallery: string }>('cases');
      this.cases = data.cases;
      this.gallery = data.gallery;
      this.render();
    } catch (error) {
      this.say(`Could not load the case studies: ${(error as Error).message}`, true);
    }
    const busy = this.cases.some(c => c.job && (c.job.state === 'queued' || c.job.state === 'running'));
    if (busy && this.isVisible) {
      this.startPolling();
    } else {
      this.stopPolling();
    }
  }

  private startPolling(): void {
    if (this.timer === null) {
      this.timer = window.setInterval(() => void this.refresh(), 1500);
    }
  }

  private stopPolling(): void {
    if (this.timer !== null) {
      window.clearInterval(this.timer);
      this.timer = null;
    }
  }

  private async act(what: string, action: () => Promise<string>): Promise<void> {
    this.say(`${what}…`);
    try {
      this.say(await action());
    } catch (error) {
      this.say(`${what} refused: ${(error as Error).message}`, true);
    }
    await this.refresh();
  }

  private run(c: ICase): Promise<void> {
    return this.act(`Starting the runs of ${c.slug}`, async () => {
      await api(`cases/${encodeURIComponent(c.slug)}/run`, 'POST', {});
      return `Running ${c.slug}…`;
    });
  }

  private publish(c: ICase): Promise<void> {
    return this.act(`Publishing ${c.slug}`, async () => {
      const app = await api<{ url: string }>(`cases/${encodeURIComponent(c.slug)}/publish`, 'POST', {});
      return `Published ${c.slug}: ${app.url}`;
    });
  }

  private async createWorkshop(c: ICase): Promise<void> {
    const answer = await InputDialog.getText({
      title: `Create a workshop on ${c.title}`,
      label: 'Workshop title',
      text: `Workshop: ${c.title}`
    });
    if (!answer.button.accept) {
      return;
    }
    await this.act(`Creating a workshop on ${c.slug}`, async () => {
      const info = await api<{ id: number }>('workshops', 'POST', {
        case: c.slug,
        title: answer.value || undefined
      });
      return `Workshop ${info.id} created (draft): open it when participants may join`;
    });
  }

  private workshopAction(w: IWorkshop, action: 'open' | 'close'): Promise<void> {
    return this.act(`${action === 'open' ? 'Opening' : 'Closing'} workshop ${w.id}`, async () => {
      const info = await api<{ state: string; current_round: number }>(
        `workshops/${w.id}/${action}`, 'POST', {});
      return `Workshop ${w.id} is ${info.state} (round ${info.current_round})`;
    });
  }

  private publishNotebook(): Promise<void> {
    const path = this.notebookPath;
    if (path === null) {
      this.say('Open a template or a run’s output notebook first.', true);
      return Promise.resolve();
    }
    return this.act(`Publishing the app of ${path}`, async () => {
      const app = await api<{ case: string; url: string }>('notebooks/publish', 'POST', { path });
      return `Published ${app.case} (from ${path}): ${app.url}`;
    });
  }

  private openDashboard(w: IWorkshop): void {
    const base = ServerConnection.makeSettings().baseUrl;
    window.open(URLExt.join(base, w.dashboard), '_blank', 'noopener');
  }

  private render(): void {
    const sections = this.cases.map(c => this.renderCase(c));
    const gallery = this.gallery
      ? el('p', { class: 'jp-WorkbenchSidebar-gallery' },
          el('a', { href: this.gallery, target: '_blank', rel: 'noopener' }, 'Open the app gallery'))
      : '';
    this.list.replaceChildren(
      ...(sections.length ? sections : [el('p', {}, 'No case studies in this workspace.')]),
      gallery
    );
  }

  private renderCase(c: ICase): HTMLElement {
    const button = (label: string, handler: () => void, disabled = false): HTMLButtonElement => {
      const b = el('button', {
        class: 'jp-WorkbenchSidebar-button',
        type: 'button',
        'aria-label': `${label}: ${c.title}`
      }, label);
      b.disabled = disabled;
      b.addEventListener('click', handler);
      return b;
    };
    const busy = c.job !== null && (c.job.state === 'queued' || c.job.state === 'running');
    const validity = c.valid
      ? el('span', { class: 'jp-WorkbenchSidebar-badge jp-mod-valid' }, 'valid')
      : el('span', { class: 'jp-WorkbenchSidebar-badge jp-mod-problem' },
          `${c.problems} problem${c.problems === 1 ? '' : 's'}`);
    const section = el('section', { class: 'jp-WorkbenchSidebar-case', 'data-case': c.slug },
      el('h3', {}, c.title),
      el('p', { class: 'jp-WorkbenchSidebar-meta' }, `${c.slug} · ${c.region} · `, validity));
    if (c.problem) {
      section.append(el('p', { class: 'jp-WorkbenchSidebar-problem' }, c.problem));
    }
    section.append(el('div', { class: 'jp-WorkbenchSidebar-actions' },
      button(busy ? 'Running…' : 'Run', () => void this.run(c), busy || !c.valid),
      button('Publish', () => void this.publish(c), busy),
      button('Create workshop', () => void this.createWorkshop(c))));
    if (c.job) {
      const text = c.job.state === 'running' ? `running since ${when(c.job.started_at)}`
        : c.job.state === 'queued' ? 'queued'
        : `${c.job.state} ${when(c.job.finished_at)}: ${c.job.message}`;
      section.append(el('p', {
        class: `jp-WorkbenchSidebar-job jp-mod-${c.job.state}`, 'data-job': c.job.state
      }, `Run ${text}`));
    }
    const runs = c.runs.length
      ? el('ul', { class: 'jp-WorkbenchSidebar-runs' }, ...c.runs.map(r =>
          el('li', { 'data-status': r.status, title: r.error ?? '' },
            `${r.template}: `, el('strong', {}, r.status), ` ${when(r.finished_at || r.created_at)}`)))
      : el('p', { class: 'jp-WorkbenchSidebar-empty' }, 'No runs yet.');
    section.append(el('h4', {}, 'Latest runs'), runs);
    section.append(el('h4', {}, 'App'), c.app
      ? el('p', { class: 'jp-WorkbenchSidebar-app' },
          el('a', { href: c.app.url, target: '_blank', rel: 'noopener' }, 'Open the app'),
          ` published ${when(c.app.published_at)}`)
      : el('p', { class: 'jp-WorkbenchSidebar-empty' }, 'Not published.'));
    section.append(el('h4', {}, 'Workshops'), c.workshops.length
      ? el('ul', { class: 'jp-WorkbenchSidebar-workshops' }, ...c.workshops.map(w => {
          const open = el('button', {
            class: 'jp-WorkbenchSidebar-button', type: 'button',
            'aria-label': `Open dashboard: workshop ${w.id}`
          }, 'Open dashboard');
          open.addEventListener('click', () => this.openDashboard(w));
          const next = w.state === 'draft' ? 'open' : w.state === 'open' ? 'close' : null;
          const change = next === null ? '' : el('button', {
            class: 'jp-WorkbenchSidebar-button', type: 'button',
            'aria-label': `${next === 'open' ? 'Open' : 'Close'} workshop ${w.id}`
          }, next === 'open' ? 'Open workshop' : 'Close workshop');
          if (next !== null) {
            (change as HTMLButtonElement).addEventListener('click', () => void this.workshopAction(w, next));
          }
          return el('li', { 'data-workshop': String(w.id) },
            `${w.title} — ${w.state}, round ${w.round} `,
            el('span', { class: 'jp-WorkbenchSidebar-actions' }, change, open));
        }))
      : el('p', { class: 'jp-WorkbenchSidebar-empty' }, 'No workshops.'));
    return section;
  }
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'almp-workbench-lab:sidebar',
  description: 'The Workbench sidebar: case studies, runs, apps and workshops.',
  autoStart: true,
  optional: [INotebookTracker],
  activate: (app: JupyterFrontEnd, notebooks: INotebookTracker | null) => {
    const panel = new WorkbenchPanel(notebooks);
    app.shell.add(panel, 'left', { rank: 600 });
  }
};

export default plugin;
