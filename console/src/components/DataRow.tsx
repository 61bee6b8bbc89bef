import { Table } from '@mantine/core';

/** A table body row of plain values, one data cell each (ColumnHeads is its header row). */
export function DataRow({ values }: { values: React.ReactNode[] }) {
  return (
    <Table.Tr>
      {values.map((v, i) => (
        <Table.Td key={i}>{v}</Table.Td>
      ))}
    </Table.Tr>
  );
}
