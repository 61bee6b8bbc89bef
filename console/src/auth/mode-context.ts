import { createContext, useContext } from 'react';
import type { Mode } from './session';

/** How the console acts, known before any page shows: protected mode, or a signed-in SMART user. */
export const ModeContext = createContext<Mode>({ kind: 'protected' });
export const useMode = () => useContext(ModeContext);
