import '@mantine/core/styles.css';
import './console.css';
import { MantineProvider } from '@mantine/core';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Router } from 'wouter';
import { App } from './App';

// The default theme's variables come with @mantine/core/styles.css, so Mantine writes no <style> element of its
// own: the console runs under `style-src 'self'` (src/http/console.ts).
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider withCssVariables={false} withGlobalClasses={false} defaultColorScheme="light">
      <Router base="/console">
        <App />
      </Router>
    </MantineProvider>
  </StrictMode>,
);
