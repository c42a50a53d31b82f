import { createRoot } from 'react-dom/client';
import { connect } from './api/transport.ts';
import { App } from './components/App.tsx';
import { browserPlatform } from './canvas/browserPlatform.ts';
import { createStudioStore } from './state/store.ts';
import './styles.css';

const root = createRoot(document.getElementById('root')!);
try {
  root.render(<App store={createStudioStore(connect(), browserPlatform)} />);
} catch (e) {
  root.render(<p role="alert" className="error">{(e as Error).message}</p>);
}
