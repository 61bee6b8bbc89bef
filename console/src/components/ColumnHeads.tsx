import { Table } from '@mantine/core';

/** A table's header row: one column header per name (scope="col", so screen readers announce it per cell). */
export function ColumnHeads({ names }: { names: string[] }) {
  return (
    <Table.Thead>
      <Table.Tr>
        {names.map((n) => (
          <Table.Th key={n} scope="col">
            {n}
          </Table.Th>
        ))}
      </Table.Tr>
    </Table.Thead>
  );
}
