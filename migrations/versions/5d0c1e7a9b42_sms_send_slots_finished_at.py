"""sms send slots record when the provider answered

Revision ID: 5d0c1e7a9b42
Revises: b832d31e1ebf
Create Date: 2026-11-30 05:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d0c1e7a9b42'
down_revision = 'b832d31e1ebf'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sms_send_slots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_sms_send_slots_finished_at'), ['finished_at'], unique=False)


def downgrade():
    with op.batch_alter_table('sms_send_slots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sms_send_slots_finished_at'))
        batch_op.drop_column('finished_at')
