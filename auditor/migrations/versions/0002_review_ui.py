"""Review UI: post events (comments, re-audits, edited versions; append-only) and the
'fix requested' mark on findings.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fix_requested_at', sa.DateTime(timezone=True), nullable=True))

    op.create_table('post_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('audit_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['audit_id'], ['audits.id'], ),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], ),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('post_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_events_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_post_events_post_id'), ['post_id'], unique=False)
    _append_only()


def _append_only() -> None:
    """Like review_log: part of the record a regulator may ask for, so never changed or deleted."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION post_events_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'post_events is append-only';
            END;
            $$ LANGUAGE plpgsql""")
        op.execute("""CREATE TRIGGER post_events_no_change BEFORE UPDATE OR DELETE ON post_events
                      FOR EACH ROW EXECUTE FUNCTION post_events_append_only()""")
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"""CREATE TRIGGER post_events_no_{event.lower()} BEFORE {event} ON post_events
                           BEGIN SELECT RAISE(ABORT, 'post_events is append-only'); END""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS post_events_no_change ON post_events")
        op.execute("DROP FUNCTION IF EXISTS post_events_append_only()")
    with op.batch_alter_table('post_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_events_post_id'))
        batch_op.drop_index(batch_op.f('ix_post_events_org_id'))
    op.drop_table('post_events')
    with op.batch_alter_table('findings', schema=None) as batch_op:
        batch_op.drop_column('fix_requested_at')
