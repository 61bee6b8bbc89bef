import { Table } from '@mantine/core';

/** Facts as a two-column table, each label a row header; facts without a value are left out. */
export function FactTable({ facts }: { facts: Array<[string, string]> }) {
  return (
    <Table>
      <Table.Tbody>
        {facts
          .filter(([, v]) => v)
          .map(([k, v]) => (
            <Table.Tr key={k}>
              <Table.Th scope="row">{k}</Table.Th>
              <Table.Td>{v}</Table.Td>
            </Table.Tr>
          ))}
      </Table.Tbody>
    </Table>
  );
}
