import { Button, Group, Modal, Stack } from '@mantine/core';
import { useState } from 'react';
import { DIALOG } from './dialog';
import { ErrorMessage } from './Status';

/**
 * A dialog that asks before it acts: its fields, a confirm button that runs `act` (a call to the API), the server's
 * refusal shown in the dialog as sentences, closed on success.
 */
export function ActionDialog({
  title,
  opened,
  onClose,
  confirm,
  act,
  children,
  ready = true,
}: {
  title: string;
  opened: boolean;
  onClose(): void;
  confirm: string;
  act(): Promise<void>;
  children: React.ReactNode;
  ready?: boolean;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const close = () => {
    setError(undefined);
    onClose();
  };
  return (
    <Modal opened={opened} onClose={close} title={title} size="lg" {...DIALOG}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          act().then(
            () => {
              setBusy(false);
              close();
            },
            (err: Error) => {
              setBusy(false);
              setError(err);
            },
          );
        }}
      >
        <Stack>
          {children}
          {error && <ErrorMessage error={error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" loading={busy} disabled={!ready}>
              {confirm}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
